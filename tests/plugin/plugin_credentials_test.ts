/**
 * Credentials from plugins, end to end: `h3 chart push` and `pull` against a real docker-registry
 * with htpasswd auth, authenticated by a TypeScript plugin's `credentials` and by the shipped
 * credential-process plugin running a fake login command on PATH. Plugins come before the Docker
 * config, their credentials are written nowhere, and no secret is ever printed.
 */
import assert from "node:assert/strict";
import { expectCode, type RunResult, sandbox } from "../helpers/cli.ts";
import { minimalChart, writeTree } from "../helpers/charts.ts";
import { startHtpasswdRegistry } from "../helpers/htpasswd_registry.ts";

const root = new URL("../../", import.meta.url).pathname;
const password = "pl4gin-pw-for-bob";
const wrong = "not-bobs-password";

/** Every h3 run, to check no secret was printed. */
const outputs: RunResult[] = [];
function seen(result: RunResult): RunResult {
  outputs.push(result);
  return result;
}

const keysPlugin = (host: string) => `
Deno.writeTextFileSync(Deno.env.get("HELM_HOME") + "/keys-imported", "");
export default {
  name: "keys",
  version: "1.0.0",
  description: "Knows bob's password",
  async credentials(registry, { config }) {
    await Deno.writeTextFile(config.helmHome + "/asked", registry + "\\n", { append: true });
    if (Deno.env.get("KEYS_FAIL")) throw new Error("the vault is sealed");
    return registry === ${
  JSON.stringify(host)
} ? { username: "bob", password: "${password}" } : undefined;
  },
};
`;

Deno.test("plugin credentials push and pull to a registry with htpasswd auth", async (t) => {
  await using box = await sandbox();
  await using registry = await startHtpasswdRegistry(box.dir, "bob", password);
  const ref = `${registry.host}/team/mychart:2.7.0`;
  await writeTree(`${box.dir}/mychart`, minimalChart);
  expectCode(seen(await box.run(["chart", "save", "mychart", ref])), 0);

  await t.step("without credentials the registry refuses the push", async () => {
    const result = seen(await box.run(["chart", "push", ref]));
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      `Error: ${ref}: authentication required by ${registry.host}; log in with "h3 registry login ${registry.host}"\n`,
    );
  });

  await t.step("a TypeScript plugin's credentials are used, before the Docker config", async () => {
    // The Docker config has a wrong password for this host: the plugin must win.
    await Deno.mkdir(`${box.dir}/docker`, { recursive: true });
    const dockerConfig = JSON.stringify({
      auths: { [registry.host]: { auth: btoa(`bob:${wrong}`) } },
    });
    await Deno.writeTextFile(`${box.dir}/docker/config.json`, dockerConfig);
    await Deno.writeTextFile(`${box.dir}/keys.ts`, keysPlugin(registry.host));
    expectCode(seen(await box.run(["plugin", "add", "keys.ts"])), 0);
    // Commands that need no credentials do not import the plugin.
    await Deno.remove(`${box.helmHome}/keys-imported`);
    for (const args of [["chart", "list"], ["plugin", "list"], ["--help"]]) {
      expectCode(seen(await box.run(args)), 0);
    }
    await assert.rejects(Deno.stat(`${box.helmHome}/keys-imported`), Deno.errors.NotFound);
    const pushed = expectCode(seen(await box.run(["chart", "push", ref])), 0);
    await Deno.stat(`${box.helmHome}/keys-imported`);
    assert.match(pushed.stdout, /\n2\.7\.0: pushed to remote \(2 layers, .* total\)\n$/);
    const asked = await Deno.readTextFile(`${box.helmHome}/asked`);
    assert.ok(asked.split("\n").includes(registry.host), asked);
    // Plugin credentials are written nowhere: the Docker config is as it was.
    assert.equal(await Deno.readTextFile(`${box.dir}/docker/config.json`), dockerConfig);
  });

  await t.step("pull authenticates the same way", async () => {
    expectCode(seen(await box.run(["chart", "remove", ref])), 0);
    const pulled = expectCode(seen(await box.run(["chart", "pull", ref])), 0);
    assert.match(pulled.stdout, /\nStatus: Downloaded newer chart for /);
  });

  await t.step("a plugin that fails to give credentials stops with one clear line", async () => {
    const result = seen(await box.run(["chart", "pull", ref], { env: { KEYS_FAIL: "1" } }));
    assert.equal(result.code, 1);
    assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    assert.match(result.stderr, /plugin "keys": the vault is sealed\n$/);
  });

  await t.step("a plugin that answers undefined leaves the host to the Docker config", async () => {
    await Deno.writeTextFile(
      `${box.dir}/docker/config.json`,
      JSON.stringify({ auths: { [registry.host]: { auth: btoa(`bob:${password}`) } } }),
    );
    expectCode(seen(await box.run(["plugin", "remove", "keys"])), 0);
    await Deno.writeTextFile(`${box.dir}/keys.ts`, keysPlugin("elsewhere.example.com"));
    expectCode(seen(await box.run(["plugin", "add", "keys.ts"])), 0);
    expectCode(seen(await box.run(["chart", "pull", ref])), 0);
  });

  await t.step(
    "a credentials plugin that changed is skipped; the warning says how to add it again",
    async () => {
      const module = `${box.helmHome}/plugins/keys/keys.ts`;
      const before = await Deno.readTextFile(module);
      await Deno.writeTextFile(module, before + "// edited\n");
      const result = expectCode(seen(await box.run(["chart", "pull", ref])), 0);
      assert.match(
        result.stderr,
        /^Warning: plugin "keys" changed since it was added: .*keys\.ts has sha256 [0-9a-f]{64}, not [0-9a-f]{64}; if the change is yours, add it again with "h3 plugin add --force SOURCE"\n$/,
      );
      await Deno.writeTextFile(module, before);
    },
  );

  await t.step("a credentials plugin that broke is skipped with a warning", async () => {
    await Deno.remove(`${box.helmHome}/plugins/keys/keys.ts`);
    const result = expectCode(seen(await box.run(["chart", "pull", ref])), 0);
    assert.match(
      result.stderr,
      /^Warning: plugin "keys" \(.*keys\.ts\) failed to load: Module not found/,
    );
    assert.equal(result.stderr.split("\n").length, 2, "one warning line");
  });

  await t.step("a plugin command's ctx.h3 hears that warning, and h3 prints it", async () => {
    await Deno.writeTextFile(
      `${box.dir}/fetcher.ts`,
      `export default {
  name: "fetcher",
  version: "1.0.0",
  commands: [{
    name: "fetch-chart",
    description: "Pulls a chart through ctx.h3",
    async run(ctx) {
      using _ = ctx.h3.addWarningListener((message, problem) =>
        console.log("heard: " + message + " [" + problem?.name + "]")
      );
      const pulled = await ctx.h3.pull(ctx.args[0]);
      console.log("pulled " + pulled.ref.tag);
    },
  }],
};
`,
    );
    expectCode(seen(await box.run(["plugin", "add", "fetcher.ts"])), 0);
    const result = expectCode(seen(await box.run(["fetch-chart", ref])), 0);
    assert.match(
      result.stdout,
      /^heard: plugin "keys" \(.*keys\.ts\) failed to load: .*\[PluginError\]\n/,
    );
    assert.match(result.stdout, /\npulled 2\.7\.0\n$/);
    assert.match(
      result.stderr,
      /^Warning: plugin "keys" \(.*keys\.ts\) failed to load: Module not found/,
    );
    assert.equal(result.stderr.split("\n").length, 2, "one warning line");
    expectCode(seen(await box.run(["plugin", "remove", "fetcher"])), 0);
    await Deno.remove(`${box.dir}/docker/config.json`);
    expectCode(seen(await box.run(["plugin", "remove", "keys"])), 0);
  });

  await t.step("the credential-process plugin runs a login command on PATH", async () => {
    const bin = `${box.dir}/bin`;
    await Deno.mkdir(bin);
    await Deno.writeTextFile(
      `${bin}/fake-login`,
      `#!/bin/sh
if [ -n "$FAKE_LOGIN_FAIL" ]; then echo "${password}"; echo "token expired for $H3_REGISTRY" >&2; exit 4; fi
echo "${password}"
`,
      { mode: 0o755 },
    );
    await Deno.writeTextFile(
      `${box.helmHome}/credential-process.yaml`,
      `registries:\n  - host: "127.0.0.1:*"\n    command: fake-login\n    username: bob\n    lifetime: 0\n`,
    );
    expectCode(
      seen(await box.run(["plugin", "add", `${root}plugins/credential_process`])),
      0,
    );
    const env = { PATH: `${bin}:${Deno.env.get("PATH")}` };
    const pushed = expectCode(
      seen(await box.run(["chart", "push", ref], { env })),
      0,
    );
    assert.match(pushed.stdout, /already on remote, nothing pushed/); // pushed by an earlier step
    const failed = seen(
      await box.run(["chart", "pull", ref], { env: { ...env, FAKE_LOGIN_FAIL: "1" } }),
    );
    assert.equal(failed.code, 1);
    assert.match(
      failed.stderr,
      new RegExp(
        `plugin "credential-process": command "fake-login" for ${registry.host} exited with code 4: token expired for ${registry.host}\\n$`,
      ),
    );
  });

  await t.step("no secret appears in anything h3 printed", () => {
    for (const { stdout, stderr } of outputs) {
      for (const secret of [password, btoa(`bob:${password}`)]) {
        assert.ok(!stdout.includes(secret) && !stderr.includes(secret), "secret printed");
      }
    }
  });
});
