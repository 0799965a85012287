/**
 * Executable plugins in Helm 3's format: `h3 NAME ARGS...` runs the plugin.yaml command with
 * Helm's and h3's environment variables, all arguments passed through, its exit code passed on.
 */
import assert from "node:assert/strict";
import { expectCode, sandbox } from "../helpers/cli.ts";
import { prepareCommand } from "../../core/plugin/executable.ts";

const script = `#!/bin/sh
echo "args: $*"
for v in HELM_PLUGIN_DIR HELM_PLUGIN_NAME HELM_HOME HELM_PLUGINS HELM_BIN \\
  H3_PLUGIN_DIR H3_PLUGIN_NAME H3_HOME H3_PLUGINS H3_BIN; do
  eval "echo $v=\\$$v"
done
exit "\${EXIT_WITH:-0}"
`;

const pluginYaml = `name: envdump
version: 0.2.0
usage: "print the plugin environment"
description: "A Helm-style plugin for tests"
command: "$HELM_PLUGIN_DIR/run.sh --fixed"
`;

Deno.test("executable plugins", async (t) => {
  await using box = await sandbox();
  const source = `${box.dir}/envdump`;
  await Deno.mkdir(source);
  await Deno.writeTextFile(`${source}/plugin.yaml`, pluginYaml);
  await Deno.writeTextFile(`${source}/run.sh`, script, { mode: 0o755 });
  assert.equal(
    expectCode(await box.run(["plugin", "add", "envdump"]), 0).stdout,
    "Installed plugin: envdump 0.2.0\n",
  );
  const dir = `${box.helmHome}/plugins/envdump`;

  await t.step("runs with Helm's and h3's variables, every argument passed through", async () => {
    const result = expectCode(await box.run(["envdump", "a", "--flag", "-x", "--help"]), 0);
    const lines = result.stdout.trim().split("\n");
    assert.equal(lines[0], "args: --fixed a --flag -x --help");
    const env = Object.fromEntries(lines.slice(1).map((l) => l.split(/=(.*)/s).slice(0, 2)));
    for (const prefix of ["HELM", "H3"]) {
      assert.equal(env[`${prefix}_PLUGIN_DIR`], dir);
      assert.equal(env[`${prefix}_PLUGIN_NAME`], "envdump");
      assert.equal(env[`${prefix}_HOME`], box.helmHome);
      assert.equal(env[`${prefix}_PLUGINS`], `${box.helmHome}/plugins`);
      assert.match(env[`${prefix}_BIN`], /deno(\.exe)? run -A .*main\.ts$/);
    }
  });

  await t.step("HELM_BIN runs h3 again", async () => {
    const bin = `${box.dir}/callback`;
    await Deno.mkdir(bin);
    await Deno.writeTextFile(
      `${bin}/plugin.yaml`,
      `name: callback\nversion: 1.0.0\nusage: "list plugins through h3"\ncommand: "$HELM_PLUGIN_DIR/cb.sh"\n`,
    );
    await Deno.writeTextFile(`${bin}/cb.sh`, "#!/bin/sh\nexec $HELM_BIN plugin list\n", {
      mode: 0o755,
    });
    expectCode(await box.run(["plugin", "add", "callback"]), 0);
    const result = expectCode(await box.run(["callback"]), 0);
    assert.match(result.stdout, /^NAME\s+VERSION\s+KIND\s+DESCRIPTION\n/);
    assert.match(
      result.stdout,
      /\nenvdump\s+0\.2\.0\s+executable\s+A Helm-style plugin for tests\n/,
    );
  });

  await t.step("the plugin's exit code is h3's", async () => {
    const result = await box.run(["envdump"], { env: { EXIT_WITH: "7" } });
    assert.equal(result.code, 7);
    assert.equal(result.stderr, "");
  });

  await t.step("h3 --help lists the plugin with its usage line", async () => {
    const help = expectCode(await box.run(["--help"]), 0).stdout;
    assert.match(help, /envdump .*print the plugin environment/);
  });

  await t.step("a plugin whose program is gone fails with one clear line", async () => {
    await Deno.remove(`${dir}/run.sh`);
    const result = expectCode(await box.run(["envdump"]), 1);
    assert.equal(
      result.stderr,
      `Error: plugin "envdump": cannot run "${dir}/run.sh": not found\n`,
    );
  });
});

Deno.test("platformCommand is chosen as Helm does: OS and arch, then OS, then command", () => {
  const meta = {
    name: "p",
    version: "1.0.0",
    command: "default $X",
    platformCommand: [
      { os: "linux", command: "linux-any" },
      { os: "linux", arch: "arm64", command: "linux-arm64 a" },
      { os: "windows", arch: "amd64", command: "win.exe", args: ["with space", "$X"] },
    ],
  };
  const env = { X: "expanded" };
  const run = (os: string, arch: string) => prepareCommand(meta, ["u"], env, { os, arch });
  assert.deepEqual(run("linux", "aarch64"), ["linux-arm64", "a", "u"]);
  assert.deepEqual(run("linux", "x86_64"), ["linux-any", "u"]);
  assert.deepEqual(run("windows", "x86_64"), ["win.exe", "with space", "expanded", "u"]);
  assert.deepEqual(run("darwin", "aarch64"), ["default", "expanded", "u"]);
  const ignoring = { ...meta, ignoreFlags: true };
  assert.deepEqual(prepareCommand(ignoring, ["u"], env, { os: "darwin", arch: "x86_64" }), [
    "default",
    "expanded",
  ]);
});
