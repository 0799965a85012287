/**
 * The shipped credential-process plugin, run against a fake login command: which hosts it
 * answers, what it returns, how long it caches, and how a failing command is reported without
 * ever showing the command's output. (tests/plugin/plugin_credentials_test.ts runs it from PATH through
 * h3; here the process environment is left alone, as test files share it.)
 */
import assert from "node:assert/strict";
import credentialProcess from "../../plugins/credential_process/plugin.ts";
import { duration, findRule, type ProcessRule } from "../../plugins/credential_process/_config.ts";
import { sourceStartPath } from "../../bench/_start_path.ts";

const secret = "s3cr3t-from-the-fake-login";

/** A HELM_HOME with a config (`FAKE` in it replaced by the fake login's path) that counts runs. */
async function world(config: string) {
  const dir = await Deno.makeTempDir({ prefix: "h3-credproc-" });
  const bin = `${dir}/bin`;
  await Deno.mkdir(bin);
  await Deno.writeTextFile(
    `${bin}/fake-login`,
    `#!/bin/sh
echo "run for $H3_REGISTRY with $*" >> "${dir}/runs"
if [ "$1" = "--fail" ]; then
  echo "${secret}"
  echo "error: you are not logged in" >&2
  echo "run 'fake-login configure' first" >&2
  exit 3
fi
echo "${secret}"
`,
    { mode: 0o755 },
  );
  await Deno.writeTextFile(
    `${dir}/credential-process.yaml`,
    config.replaceAll("FAKE", `${bin}/fake-login`),
  );
  const runs = async () =>
    (await Deno.readTextFile(`${dir}/runs`).catch(() => "")).split("\n").filter(Boolean);
  return {
    dir,
    runs,
    ask: (registry: string) =>
      credentialProcess.credentials(registry, { config: { helmHome: dir } }),
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

Deno.test("the command's output is the password for a matching host, cached 0600", async () => {
  await using w = await world(`registries:
  - host: "*.dkr.ecr.*.amazonaws.com"
    command: FAKE ecr --region eu-west-1
    username: AWS
    lifetime: 1h
`);
  const host = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
  assert.deepEqual(await w.ask(host), { username: "AWS", password: secret });
  assert.deepEqual(await w.ask(host), { username: "AWS", password: secret });
  assert.deepEqual(await w.runs(), [`run for ${host} with ecr --region eu-west-1`]);
  const cache = await Deno.stat(`${w.dir}/credential-process.cache.json`);
  assert.equal(cache.mode! & 0o777, 0o600);
  assert.equal(await w.ask("docker.io"), undefined);
  assert.equal(await w.ask("evil.com/123456789012.dkr.ecr.eu-west-1.amazonaws.com"), undefined);
  assert.equal((await w.runs()).length, 1);
});

Deno.test("lifetime 0 runs the command every time and caches nothing", async () => {
  await using w = await world(`registries:
  - host: "127.0.0.1:*"
    command: [FAKE, "with space"]
    output: registry-token
    lifetime: 0
`);
  assert.deepEqual(await w.ask("127.0.0.1:5000"), { registryToken: secret });
  assert.deepEqual(await w.ask("127.0.0.1:5000"), { registryToken: secret });
  assert.equal((await w.runs()).length, 2);
  await assert.rejects(Deno.stat(`${w.dir}/credential-process.cache.json`), Deno.errors.NotFound);
});

Deno.test("an expired cache entry runs the command again", async () => {
  await using w = await world(`registries:
  - host: gcr.example.com
    command: FAKE gcloud
    output: identity-token
    username: oauth2
    lifetime: 1s
`);
  assert.deepEqual(await w.ask("gcr.example.com"), { username: "oauth2", identityToken: secret });
  await new Promise((r) => setTimeout(r, 1100));
  await w.ask("gcr.example.com");
  assert.equal((await w.runs()).length, 2);
});

Deno.test("a failing command is reported with its exit code and stderr, never its output", async () => {
  await using w = await world(`registries:
  - host: acr.example.com
    command: FAKE --fail acr
    username: "00000000-0000-0000-0000-000000000000"
`);
  const error = await w.ask("acr.example.com").then(() => undefined, (e: Error) => e);
  assert.equal(
    error?.message,
    `command "${w.dir}/bin/fake-login --fail acr" for acr.example.com exited with code 3: error: you are not logged in; run 'fake-login configure' first`,
  );
  assert.ok(!error.message.includes(secret));
  await assert.rejects(Deno.stat(`${w.dir}/credential-process.cache.json`), Deno.errors.NotFound);
});

Deno.test("a command that is not installed is named", async () => {
  await using w = await world(`registries:
  - host: acr.example.com
    command: az-not-installed acr login
    username: u
`);
  await assert.rejects(
    w.ask("acr.example.com"),
    new Error(
      `cannot run "az-not-installed acr login" for acr.example.com: "az-not-installed" not found`,
    ),
  );
});

Deno.test("config mistakes name the file and the entry", async () => {
  await using w = await world(`registries:
  - host: a.example.com
    command: FAKE
`);
  await assert.rejects(
    w.ask("a.example.com"),
    new Error(
      `${w.dir}/credential-process.yaml: registries[0]: "username" is needed when the output is a password`,
    ),
  );
  await Deno.writeTextFile(`${w.dir}/credential-process.yaml`, "registries: {}\n");
  await assert.rejects(w.ask("a.example.com"), /"registries" must be a list/);
  await Deno.remove(`${w.dir}/credential-process.yaml`);
  assert.equal(await w.ask("a.example.com"), undefined);
});

Deno.test("host patterns and durations", () => {
  const rule = (host: string) => ({ host } as ProcessRule);
  const rules = [rule("*.azurecr.io"), rule("localhost:5000"), rule("ghcr.io")];
  assert.equal(findRule(rules, "myacr.azurecr.io")?.host, "*.azurecr.io");
  assert.equal(findRule(rules, "a.b.azurecr.io"), undefined);
  assert.equal(findRule(rules, "localhost:5000")?.host, "localhost:5000");
  assert.equal(findRule(rules, "localhost:5001"), undefined);
  assert.equal(findRule(rules, "GHCR.io:443")?.host, "ghcr.io");
  assert.equal(duration("1h30m", "x"), 5_400_000);
  assert.equal(duration(90, "x"), 90_000);
  assert.equal(duration("0", "x"), 0);
  assert.throws(() => duration("soon", "lifetime"), /lifetime must be a duration/);
});

Deno.test("the plugin loads no YAML parser until it has a config file to parse", async () => {
  // It is asked by every command that needs credentials, and most users have no config file.
  const root = new URL("../..", import.meta.url).pathname;
  const loaded = (await sourceStartPath(root, "plugins/credential_process/plugin.ts")).modules;
  assert.ok(loaded.some((m) => m.endsWith("plugins/credential_process/_config.ts")), `${loaded}`);
  assert.ok(!loaded.some((m) => m.includes("npm:") && m.includes("yaml")), `${loaded}`);
});
