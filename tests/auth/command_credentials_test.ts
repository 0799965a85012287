import assert from "node:assert/strict";
import { fixtureChart } from "../helpers/charts.ts";
import { expectCode, type Sandbox, sandbox } from "../helpers/cli.ts";
import { startHtpasswdRegistry } from "../helpers/htpasswd_registry.ts";
import { startRegistry } from "../helpers/registry.ts";
import { assertDocShows } from "../helpers/transcripts.ts";
import { startTokenIssuer } from "../helpers/token_issuer.ts";

const password = "S3cret-per-command";

/** Stores a login for `host` in the sandbox's Docker config, as `docker login` would. */
async function storeLogin(box: Sandbox, host: string, user: string, secret: string) {
  await Deno.mkdir(box.env.DOCKER_CONFIG, { recursive: true });
  await Deno.writeTextFile(
    `${box.env.DOCKER_CONFIG}/config.json`,
    JSON.stringify({ auths: { [host]: { auth: btoa(`${user}:${secret}`) } } }),
  );
}

Deno.test("--username with --password-stdin (or --password) on push, tags, pull and copy, over stored logins", async () => {
  await using issuer = await startTokenIssuer({
    users: { alice: password },
    acl: [{ repository: "private/chart", user: "alice", actions: ["pull", "push"] }],
  });
  await using registry = await startRegistry({ auth: { token: issuer } });
  await using box = await sandbox();
  const ref = `${registry.host}/private/chart:1.0.0`;
  expectCode(await box.run(["chart", "save", fixtureChart, ref]), 0);
  const denied = expectCode(await box.run(["chart", "push", ref]), 1);
  assert.match(denied.stderr, /requires authentication|denied|authentication required/);

  const withStdin = ["--username", "alice", "--password-stdin"];
  const pushed = expectCode(
    await box.run(["chart", "push", ref, ...withStdin], { stdin: `${password}\n` }),
    0,
  );
  assert.doesNotMatch(pushed.stderr, /WARNING/);
  // A stale stored login does not matter when the command brings its own.
  await storeLogin(box, registry.host, "alice", "stale");
  const tags = expectCode(
    await box.run(["chart", "tags", ref.replace(/:1.0.0$/, ""), "-o", "json", ...withStdin], {
      stdin: password,
    }),
    0,
  );
  assert.deepEqual(JSON.parse(tags.stdout).map((t: { tag: string }) => t.tag), ["1.0.0"]);
  expectCode(await box.run(["chart", "remove", ref]), 0);
  const pulled = expectCode(
    await box.run(["chart", "pull", ref, "--username", "alice", "--password", password]),
    0,
  );
  assert.match(
    pulled.stderr,
    /^WARNING! Using --password via the CLI is insecure\. Use --password-stdin\.$/m,
  );
  const copy = ["chart", "copy", ref, `${registry.host}/private/chart:copied`, ...withStdin];
  expectCode(await box.run(copy, { stdin: password }), 0);
  const wrong = expectCode(
    await box.run(["chart", "pull", ref, ...withStdin], { stdin: "nope" }),
    1,
  );
  assert.match(wrong.stderr, /refused the credentials/);
  assert.doesNotMatch(wrong.stderr + pulled.stderr + pushed.stderr, new RegExp(password));
});

Deno.test("--username on a Basic-auth registry, and the flag combinations that are usage errors", async () => {
  await using box = await sandbox();
  await using registry = await startHtpasswdRegistry(box.dir, "bob", password);
  const ref = `${registry.host}/team/chart:1.0.0`;
  expectCode(await box.run(["chart", "save", fixtureChart, ref]), 0);
  expectCode(await box.run(["chart", "push", ref]), 1);
  expectCode(
    await box.run(["chart", "push", ref, "--username", "bob", "--password-stdin"], {
      stdin: password,
    }),
    0,
  );
  const usage = async (args: string[], message: string) => {
    const r = expectCode(await box.run(["chart", "pull", ref, ...args], { stdin: "" }), 2);
    assert.equal(r.stderr, `Error: ${message}\n`);
  };
  await usage(["--password-stdin"], "--password-stdin needs --username");
  await usage(["--password", "x"], "--password needs --username");
  await usage(["--username", "bob"], "--username needs --password-stdin (or --password)");
  await usage(
    ["--username", "bob", "--password", "x", "--password-stdin"],
    "--password and --password-stdin cannot be used together",
  );
  await usage(["--username", "bob", "--password-stdin"], `${ref}: the password is empty`);
});

Deno.test("anonymous fallback: a pull whose stored login the token service rejects is tried once anonymously", async () => {
  await using issuer = await startTokenIssuer({
    users: { alice: password },
    acl: [
      { repository: "public/chart", actions: ["pull"] },
      { repository: "public/chart", user: "alice", actions: ["push"] },
      { repository: "private/chart", user: "alice", actions: ["pull", "push"] },
    ],
  });
  await using registry = await startRegistry({ auth: { token: issuer } });
  await using box = await sandbox();
  const publicRef = `${registry.host}/public/chart:1.0.0`;
  const privateRef = `${registry.host}/private/chart:1.0.0`;
  for (const ref of [publicRef, privateRef]) {
    expectCode(await box.run(["chart", "save", fixtureChart, ref]), 0);
    expectCode(
      await box.run(["chart", "push", ref, "--username", "alice", "--password-stdin"], {
        stdin: password,
      }),
      0,
    );
    expectCode(await box.run(["chart", "remove", ref]), 0);
  }
  await storeLogin(box, registry.host, "alice", "expired-password");

  const before = issuer.requests.length;
  const pulled = expectCode(await box.run(["--debug", "chart", "pull", publicRef]), 0);
  assert.match(
    pulled.stderr,
    new RegExp(
      `^${registry.host} rejected the stored credentials \\(401\\) for a read: trying once anonymously$`,
      "m",
    ),
  );
  await assertDocShows(
    "docs/registry-settings.md",
    pulled.stderr,
    /trying once anonymously/,
    { [registry.host]: "registry.example" },
  );
  const grants = issuer.requests.slice(before).map((r) => `${r.grant} ${r.status}`);
  assert.deepEqual(grants.slice(0, 2), ["basic 401", "anonymous 200"]);

  // Private content: the anonymous token grants nothing, and the error says to check the login.
  const refused = expectCode(await box.run(["chart", "pull", privateRef]), 1);
  assert.match(refused.stderr, /denied access .*check your credentials \("h3 registry login/);
  // Writes never fall back.
  const push = expectCode(await box.run(["chart", "push", publicRef]), 1);
  assert.match(push.stderr, /refused the credentials/);
  // A login given on the command line is not second-guessed either.
  const given = expectCode(
    await box.run([
      "--debug",
      "chart",
      "pull",
      publicRef,
      "--username",
      "alice",
      "--password-stdin",
    ], {
      stdin: "wrong",
    }),
    1,
  );
  assert.doesNotMatch(given.stderr, /trying once anonymously/);
});
