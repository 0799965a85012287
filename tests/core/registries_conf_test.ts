import assert from "node:assert/strict";
import {
  findRegistry,
  loadRegistriesConf,
  matchPrefix,
  pullSources,
} from "../../core/registries_conf.ts";
import { fixtureChart } from "../helpers/charts.ts";
import { expectCode, type Sandbox, sandbox } from "../helpers/cli.ts";
import { modPath, runScript } from "../helpers/library.ts";
import { startHtpasswdRegistry } from "../helpers/htpasswd_registry.ts";
import { startRegistry } from "../helpers/registry.ts";
import { makeTls } from "../helpers/tls.ts";
import { assertDocShows } from "../helpers/transcripts.ts";
import { startTokenIssuer } from "../helpers/token_issuer.ts";

/** The sandbox's own config folders: the machine's /etc and ~/.config are never read. */
function isolated(box: Sandbox): Record<string, string> {
  return {
    XDG_CONFIG_HOME: `${box.dir}/xdg`,
    H3_SYSTEM_CONFIG_ROOT: `${box.dir}/root`,
    CONTAINERS_REGISTRIES_CONF: "",
  };
}

async function write(path: string, text: string): Promise<void> {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  await Deno.writeTextFile(path, text);
}

Deno.test("prefix matching and pull sources follow containers-registries.conf(5)", async () => {
  assert.equal(matchPrefix("example.com/foo", "example.com/foo"), 15);
  assert.equal(matchPrefix("example.com/foo/bar", "example.com/foo"), 15);
  assert.equal(matchPrefix("example.com/foobar", "example.com/foo"), -1);
  assert.equal(matchPrefix("a.b.example.com/x", "*.example.com"), 15);
  assert.equal(matchPrefix("example.com/x", "*.example.com"), -1);
  assert.equal(matchPrefix("evil.com/a.example.com", "*.example.com"), -1);

  const dir = await Deno.makeTempDir();
  try {
    const env: Record<string, string> = {
      XDG_CONFIG_HOME: `${dir}/xdg`,
      H3_SYSTEM_CONFIG_ROOT: `${dir}/root`,
    };
    await write(
      `${dir}/root/etc/containers/registries.conf`,
      `unqualified-search-registries = ["docker.io"]
[[registry]]
prefix = "example.com"
location = "primary.example:5000"
[[registry.mirror]]
location = "mirror-a.example/cache"
[[registry.mirror]]
location = "mirror-b.example"
pull-from-mirror = "digest-only"
[[registry]]
location = "example.com/team"
blocked = true
[aliases]
"x" = "example.com/x"
`,
    );
    // A drop-in replaces the entry with the same prefix.
    await write(
      `${dir}/root/etc/containers/registries.conf.d/50-team.conf`,
      `[[registry]]\nlocation = "example.com/team"\ninsecure = true\n`,
    );
    const conf = await loadRegistriesConf((name) => env[name]);
    assert.deepEqual(conf.files, [
      `${dir}/root/etc/containers/registries.conf`,
      `${dir}/root/etc/containers/registries.conf.d/50-team.conf`,
    ]);
    assert.equal(findRegistry(conf, "example.com/team/app")?.blocked, false);
    assert.equal(findRegistry(conf, "example.com/team/app")?.insecure, true);
    const entry = findRegistry(conf, "example.com/charts/app");
    assert.deepEqual(
      pullSources(entry, "example.com/charts/app", false).map((s) => s.name),
      ["mirror-a.example/cache/charts/app", "primary.example:5000/charts/app"],
    );
    assert.deepEqual(
      pullSources(entry, "example.com/charts/app", true).map((s) => s.name),
      [
        "mirror-a.example/cache/charts/app",
        "mirror-b.example/charts/app",
        "primary.example:5000/charts/app",
      ],
    );
    // The user's file, when it exists, replaces the system's (and its drop-ins).
    await write(
      `${dir}/xdg/containers/registries.conf`,
      `[[registry]]\nlocation = "other.example"\n`,
    );
    assert.deepEqual((await loadRegistriesConf((name) => env[name])).files, [
      `${dir}/xdg/containers/registries.conf`,
    ]);
    await write(
      `${dir}/xdg/containers/registries.conf`,
      `[[registry]]\nlocation = "https://x.example"\n`,
    );
    await assert.rejects(
      loadRegistriesConf((name) => env[name]),
      new RegExp(
        `invalid registries configuration ${dir}/xdg/containers/registries.conf: registry #1 location "https://x.example": URI schemes are not supported`,
      ),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a registries.conf of comments alone, as distributions ship it, configures nothing; a control character in a comment is still refused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const env: Record<string, string> = {
      XDG_CONFIG_HOME: `${dir}/xdg`,
      H3_SYSTEM_CONFIG_ROOT: `${dir}/root`,
    };
    const system = `${dir}/root/etc/containers/registries.conf`;
    await write(
      system,
      "# For more information on this configuration file, see\r\n\n  #\t[[registry]]\n\n#",
    );
    assert.deepEqual(await loadRegistriesConf((name) => env[name]), {
      files: [system],
      registries: [],
    });
    await write(system, "# a comment with a bell \x07 in it\n");
    await assert.rejects(
      loadRegistriesConf((name) => env[name]),
      new RegExp(`invalid registries configuration ${system}: `),
    );
    // a table after the comments is read as before
    await write(system, '# mirrors\n[[registry]]\nlocation = "https://x.example"\n');
    await assert.rejects(loadRegistriesConf((name) => env[name]), /URI schemes are not supported/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mirrors: pulls try each mirror in order, then the primary; pushes go to the primary only", async () => {
  await using primary = await startRegistry();
  await using mirror = await startRegistry();
  await using box = await sandbox();
  const env = isolated(box);
  await write(
    `${env.XDG_CONFIG_HOME}/containers/registries.conf`,
    `[[registry]]\nlocation = "${primary.host}"\n[[registry.mirror]]\nlocation = "${mirror.host}/cache"\n`,
  );
  const ref = `${primary.host}/team/mychart:1.0.0`;
  expectCode(await box.run(["chart", "save", fixtureChart, ref]), 0);
  expectCode(await box.run(["chart", "push", ref], { env }), 0);
  const mirrorTags = await box.run([
    "chart",
    "tags",
    `${mirror.host}/cache/team/mychart`,
    "-o",
    "json",
  ]);
  assert.match(expectCode(mirrorTags, 1).stderr, /NAME_UNKNOWN|not found|unknown/i); // push: primary only

  // The mirror lacks it: the pull falls through to the primary.
  expectCode(await box.run(["chart", "remove", ref]), 0);
  const fallThrough = expectCode(await box.run(["--debug", "chart", "pull", ref], { env }), 0);
  assert.match(
    fallThrough.stderr,
    new RegExp(`^trying mirror ${mirror.host}/cache/team/mychart$`, "m"),
  );
  await assertDocShows("docs/registry-settings.md", fallThrough.stderr, /^trying mirror /, {
    [mirror.host]: "localhost:1",
  });
  assert.match(
    fallThrough.stderr,
    new RegExp(`^ {2}mirror failed: ${mirror.host}/cache/team/mychart: `, "m"),
  );
  assert.match(
    fallThrough.stderr,
    new RegExp(`^trying primary ${primary.host}/team/mychart$`, "m"),
  );

  // The mirror has it and the primary is stopped: pulled from the mirror.
  const atMirror = `${mirror.host}/cache/team/mychart:1.0.0`;
  expectCode(await box.run(["chart", "save", fixtureChart, atMirror]), 0);
  expectCode(await box.run(["chart", "push", atMirror]), 0);
  await primary[Symbol.asyncDispose]();
  expectCode(await box.run(["chart", "remove", ref]), 0);
  const fromMirror = expectCode(await box.run(["chart", "pull", ref], { env }), 0);
  assert.match(fromMirror.stdout, new RegExp(`Status: Downloaded newer chart for ${ref}`));
  const listed = expectCode(await box.run(["chart", "list"]), 0).stdout;
  assert.match(listed, new RegExp(`^${primary.host}/team/mychart:1.0.0\\s+mychart`, "m")); // cached under its own name

  // Pushes still go to the (stopped) primary only.
  const push = expectCode(await box.run(["chart", "push", ref], { env }), 1);
  assert.match(push.stderr, new RegExp(`cannot connect to ${primary.host}: connection refused`));

  // Both down: the primary's error, with the mirror's failure.
  await mirror[Symbol.asyncDispose]();
  const none = expectCode(await box.run(["chart", "pull", ref], { env }), 1);
  assert.match(
    none.stderr,
    new RegExp(
      `cannot connect to ${primary.host}: connection refused.*\\(mirrors also failed: ${mirror.host}/cache/team/mychart: cannot connect to ${mirror.host}: connection refused`,
    ),
  );
});

Deno.test("rewrites and blocks: a prefix pulled from another location; a blocked registry refused for every command", async () => {
  await using registry = await startRegistry();
  await using box = await sandbox();
  const env = isolated(box);
  await write(
    `${env.H3_SYSTEM_CONFIG_ROOT}/etc/containers/registries.conf`,
    `[[registry]]
prefix = "charts.example.internal/team"
location = "${registry.host}/real/team"

[[registry]]
location = "${registry.host}/forbidden"
blocked = true
`,
  );
  const real = `${registry.host}/real/team/mychart:1.0.0`;
  expectCode(await box.run(["chart", "save", fixtureChart, real]), 0);
  expectCode(await box.run(["chart", "push", real], { env }), 0);
  const logical = "charts.example.internal/team/mychart:1.0.0";
  const pulled = expectCode(await box.run(["chart", "pull", logical], { env }), 0);
  assert.match(pulled.stdout, new RegExp(`Status: Downloaded newer chart for ${logical}`));

  const blocked = `${registry.host}/forbidden/mychart:1.0.0`;
  expectCode(await box.run(["chart", "save", fixtureChart, blocked]), 0);
  const file = `${env.H3_SYSTEM_CONFIG_ROOT}/etc/containers/registries.conf`;
  const repository = blocked.replace(/:1.0.0$/, "");
  const commands = [["chart", "push", blocked], ["chart", "pull", blocked], [
    "chart",
    "tags",
    repository,
  ]];
  for (const args of commands) {
    const refused = expectCode(await box.run(args, { env }), 1);
    assert.match(
      refused.stderr,
      new RegExp(
        `registry ${registry.host}/forbidden is blocked in ${file}: refusing ${registry.host}/forbidden/mychart`,
      ),
    );
  }
  const report = JSON.parse(
    expectCode(
      await box.run(["env", "-o", "json", "--registry", "charts.example.internal"], { env }),
      0,
    ).stdout,
  ).registry;
  assert.equal(report.registriesConf, null); // the entry's prefix has a path: the bare host has none
});

Deno.test("a TLS mirror trusted through certs.d in front of a token-auth primary; h3's config names a mirror too", async () => {
  await using tls = await makeTls();
  await using issuer = await startTokenIssuer({
    users: { alice: "pw-mirror-test" },
    acl: [{ repository: "team/mychart", user: "alice", actions: ["pull", "push"] }],
  });
  await using primary = await startRegistry({ auth: { token: issuer } });
  await using mirror = await startRegistry({ tls: tls.server });
  await using box = await sandbox();
  const env = isolated(box);
  await write(
    `${env.XDG_CONFIG_HOME}/containers/certs.d/${mirror.host}/ca.crt`,
    await Deno.readTextFile(tls.ca),
  );
  const ref = `${primary.host}/team/mychart:1.0.0`;
  const credentials = ["--username", "alice", "--password-stdin"];
  expectCode(await box.run(["chart", "save", fixtureChart, ref]), 0);
  expectCode(
    await box.run(["chart", "push", ref, ...credentials], { env, stdin: "pw-mirror-test" }),
    0,
  );
  const atMirror = `${mirror.host}/team/mychart:1.0.0`;
  expectCode(await box.run(["chart", "save", fixtureChart, atMirror]), 0);
  expectCode(await box.run(["chart", "push", atMirror], { env }), 0);

  await Deno.mkdir(box.helmHome, { recursive: true });
  await Deno.writeTextFile(
    `${box.helmHome}/config.yaml`,
    `registries:\n  "${primary.host}":\n    mirrors: ["${mirror.host}"]\n`,
  );
  // The command's --username goes to the primary it names, never to the mirror (anonymous there).
  expectCode(await box.run(["chart", "remove", ref]), 0);
  const before = issuer.requests.length;
  expectCode(
    await box.run(["chart", "pull", ref, ...credentials], { env, stdin: "pw-mirror-test" }),
    0,
  );
  assert.equal(issuer.requests.length, before, "the primary was not asked");

  const report = JSON.parse(
    expectCode(await box.run(["env", "-o", "json", "--registry", primary.host], { env }), 0).stdout,
  ).registry;
  assert.deepEqual(
    [report.location, report.mirrors, report.blocked],
    [primary.host, [mirror.host], false],
  );
  const mirrorReport = JSON.parse(
    expectCode(await box.run(["env", "-o", "json", "--registry", mirror.host], { env }), 0).stdout,
  ).registry;
  assert.equal(mirrorReport.certsDir, `${env.XDG_CONFIG_HOME}/containers/certs.d/${mirror.host}`);
  assert.equal(mirrorReport.scheme, "https");

  // Mirror stopped: the primary answers, with the command's credentials.
  await mirror[Symbol.asyncDispose]();
  expectCode(await box.run(["chart", "remove", ref]), 0);
  expectCode(
    await box.run(["chart", "pull", ref, ...credentials], { env, stdin: "pw-mirror-test" }),
    0,
  );
  assert.ok(issuer.requests.length > before);
});

Deno.test("the library (mod.ts) pulls through mirrors, refuses blocked registries (openRepository too) and takes a credential", async () => {
  await using primary = await startRegistry();
  await using mirror = await startRegistry();
  await using box = await sandbox();
  await using guarded = await startHtpasswdRegistry(box.dir, "carol", "pw-library");
  const env = isolated(box);
  const guardedRef = `${guarded.host}/lib/mychart:1.0.0`;
  expectCode(await box.run(["chart", "save", fixtureChart, guardedRef]), 0);
  const login = ["--username", "carol", "--password-stdin"];
  expectCode(await box.run(["chart", "push", guardedRef, ...login], { stdin: "pw-library" }), 0);
  await write(
    `${env.XDG_CONFIG_HOME}/containers/registries.conf`,
    `[[registry]]\nlocation = "${primary.host}"\n[[registry.mirror]]\nlocation = "${mirror.host}"\n` +
      `[[registry]]\nlocation = "${mirror.host}/blocked"\nblocked = true\n`,
  );
  const atMirror = `${mirror.host}/lib/mychart:1.0.0`;
  expectCode(await box.run(["chart", "save", fixtureChart, atMirror]), 0);
  expectCode(await box.run(["chart", "push", atMirror]), 0);
  await primary[Symbol.asyncDispose]();
  const stdout = await runScript(
    box.dir,
    `import * as h3 from "${modPath}";
const pulled = await h3.pull("${primary.host}/lib/mychart:1.0.0");
console.log(pulled.meta.name, (await h3.list()).map((e) => e.ref).join(","));
await h3.tags("${mirror.host}/blocked/x").catch((e) => console.log(e.name, e.message));
await h3.openRepository("${mirror.host}/blocked/y").catch((e) => console.log(e.name));
const credential = { username: "carol", password: "pw-library" };
const guarded = await h3.tags("${guarded.host}/lib/mychart", { credential });
console.log(guarded.map((t) => t.tag).join(","));
await h3.tags("${guarded.host}/lib/mychart").catch((e) => console.log(e.name));
`,
    { ...box.env, ...env, HELM_HOME: `${box.dir}/library-home` },
  );
  assert.equal(
    stdout,
    `mychart ${primary.host}/lib/mychart:1.0.0\n` +
      `BlockedRegistryError registry ${mirror.host}/blocked is blocked in ` +
      `${env.XDG_CONFIG_HOME}/containers/registries.conf: refusing ${mirror.host}/blocked/x\n` +
      `BlockedRegistryError\n1.0.0\nAuthError\n`,
  );
});
