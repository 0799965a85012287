/**
 * Security, files h3 writes and deletes (issue #20, items 10-12 and 14): the cache never deletes
 * through a symbolic link nor a name it did not make; save says which links lead out of the chart
 * (as Helm) and refuses devices, sockets and loops; plugins come over HTTPS (plain HTTP only on
 * loopback), are shown before their code runs, and are not loaded once their file changed; files
 * are replaced through random, exclusive temp files, so a planted symlink is never followed.
 */
import assert from "node:assert/strict";
import { expectCode, sandbox } from "../helpers/cli.ts";
import { startHostile } from "../helpers/hostile.ts";
import { startRegistry } from "../helpers/registry.ts";
import { writeChart } from "../helpers/reliability.ts";
import { updateInstalled } from "../../core/plugin/installed.ts";
import { remember } from "../../plugins/credential_process/_cache.ts";
import { dirNames, sha256Hex } from "../helpers/files.ts";

Deno.test("10: a symlinked .tmp is refused by save, pull and prune, and what it points at stays", async () => {
  await using registry = await startRegistry();
  await using box = await sandbox();
  const chart = await writeChart(box.dir, "app");
  expectCode(await box.run(["chart", "save", chart, `${registry.host}/app:1.0.0`]), 0);
  expectCode(await box.run(["chart", "push", `${registry.host}/app:1.0.0`]), 0);
  const victim = `${box.dir}/victim`;
  await Deno.mkdir(victim);
  await Deno.writeTextFile(`${victim}/notes.txt`, "mine");
  await Deno.writeTextFile(`${victim}/1-00000000-0000-4000-8000-000000000000`, "mine too");
  const cache = `${box.helmHome}/registry`;
  await Deno.remove(`${cache}/.tmp`, { recursive: true });
  await Deno.symlink(victim, `${cache}/.tmp`);
  for (
    const args of [
      ["chart", "save", chart, `${registry.host}/app:1.0.1`],
      ["chart", "pull", `${registry.host}/app:1.0.0`],
      ["chart", "prune"],
    ]
  ) {
    const result = expectCode(await box.run(args), 1);
    assert.match(
      result.stderr,
      /\.tmp is a symbolic link; h3 does not write or delete through it: remove it/,
      args.join(" "),
    );
  }
  assert.deepEqual(await dirNames(victim), ["1-00000000-0000-4000-8000-000000000000", "notes.txt"]);
});

Deno.test("10: prune deletes only temp files h3 named, never other files in .tmp", async () => {
  await using box = await sandbox();
  const chart = await writeChart(box.dir, "app");
  expectCode(await box.run(["chart", "save", chart, "localhost:5000/app:1.0.0"]), 0);
  const temp = `${box.helmHome}/registry/.tmp`;
  await Deno.writeTextFile(`${temp}/keep-me.txt`, "not h3's");
  // A dead writer's leftover (pid 1 is init, never h3), old enough to be stale.
  const dead = `${temp}/999999999-00000000-0000-4000-8000-000000000000`;
  await Deno.writeTextFile(dead, "leftover");
  await Deno.utime(dead, new Date(0), new Date(0));
  expectCode(await box.run(["chart", "prune"]), 0);
  assert.deepEqual(await dirNames(temp), ["keep-me.txt"]);
});

Deno.test("11: save names each link leading out of the chart and refuses devices and loops", async () => {
  await using box = await sandbox();
  const chart = await writeChart(box.dir, "app");
  await Deno.mkdir(`${box.dir}/outside`);
  await Deno.writeTextFile(`${box.dir}/outside/secret.txt`, "secret");
  await Deno.symlink(`${box.dir}/outside/secret.txt`, `${chart}/files-secret.txt`);
  await Deno.symlink("values.yaml", `${chart}/inside.yaml`);
  const saved = expectCode(await box.run(["chart", "save", chart, "localhost:5000/app:1.0.0"]), 0);
  assert.deepEqual(saved.stderr.trim().split("\n"), [
    `found symbolic link in path: ${chart}/files-secret.txt resolves to ` +
    `${await Deno.realPath(
      `${box.dir}/outside/secret.txt`,
    )}. Contents of linked file included and used`,
  ]);

  await Deno.symlink("/dev/null", `${chart}/device`);
  const device = expectCode(await box.run(["chart", "save", chart, "localhost:5000/app:1.0.1"]), 1);
  assert.match(device.stderr, /app\/device: not a regular file or directory/);
  await Deno.remove(`${chart}/device`);
  await Deno.symlink(".", `${chart}/loop`);
  const loop = expectCode(await box.run(["chart", "save", chart, "localhost:5000/app:1.0.1"]), 1);
  assert.match(loop.stderr, /app\/loop: symbolic link loop/);
});

const plugin = (name: string, version: string, marker = "") =>
  `${marker}export default { name: "${name}", version: "${version}", description: "d", ` +
  `commands: [{ name: "${name}", description: "d", run: () => console.log("${name} ${version} ran") }] };\n`;

Deno.test("12: plugins: no plain HTTP off loopback, shown before they run, refused once changed", async () => {
  await using box = await sandbox();
  const ran = `${box.dir}/top-level-ran`;
  // Top-level code that leaves a mark: it must not run for a refused download.
  const marker = `await Deno.writeTextFile(${JSON.stringify(ran)}, "ran");\n`;
  const code = plugin("greet", "1.0.0", marker);
  await using server = await startHostile(() => new Response(code));
  const plain = expectCode(
    await box.run(["plugin", "add", `http://0.0.0.0:${server.host.split(":")[1]}/greet.ts`]),
    1,
  );
  assert.match(plain.stderr, /plain HTTP from 0\.0\.0\.0:\d+ is refused .*; use https/);
  assert.equal(server.log.length, 0, "nothing was downloaded");
  assert.equal(await Deno.stat(ran).catch(() => undefined), undefined, "its code never ran");

  const added = expectCode(await box.run(["plugin", "add", `${server.url}/greet.ts`]), 0);
  assert.equal(
    added.stderr,
    `Checking plugin greet 1.0.0 from ${server.url}/greet.ts (sha256 ${await sha256Hex(code)})\n`,
  );
  assert.equal(added.stdout, "Installed plugin: greet 1.0.0\n");
  const manifest = JSON.parse(await Deno.readTextFile(`${box.helmHome}/plugins/plugins.json`));
  assert.equal(manifest.plugins[0].sha256, await sha256Hex(code));
  assert.equal(expectCode(await box.run(["greet"]), 0).stdout, "greet 1.0.0 ran\n");

  const entry = `${box.helmHome}/plugins/${manifest.plugins[0].entry}`;
  await Deno.writeTextFile(entry, plugin("greet", "6.6.6"));
  const changed = expectCode(await box.run(["greet"]), 1);
  assert.match(
    changed.stderr,
    /plugin "greet" changed since it was added: .* has sha256 [0-9a-f]{64}, not [0-9a-f]{64}; if the change is yours, add it again with "h3 plugin add --force SOURCE"/,
  );
  assert.doesNotMatch(changed.stdout, /ran/);

  await Deno.writeTextFile(`${box.dir}/greet.ts`, plugin("greet", "2.0.0"));
  expectCode(await box.run(["plugin", "add", "greet.ts"]), 1); // already installed
  expectCode(await box.run(["plugin", "add", "greet.ts", "--force"]), 0);
  assert.equal(expectCode(await box.run(["greet"]), 0).stdout, "greet 2.0.0 ran\n");
});

Deno.test("14: plugins.json and the credential-process cache never follow a planted temp symlink", async () => {
  const dir = await Deno.makeTempDir({ prefix: "h3-sec-" });
  try {
    const victim = `${dir}/victim.txt`;
    await Deno.writeTextFile(victim, "untouched");
    // The names main used to write through: `<file>.<pid>.tmp`, guessable from the pid.
    await Deno.symlink(victim, `${dir}/plugins.json.${Deno.pid}.tmp`);
    await Deno.symlink(victim, `${dir}/credential-process.cache.json.${Deno.pid}.tmp`);
    await updateInstalled(() => Promise.resolve({ plugins: [], result: undefined }), dir);
    await remember(`${dir}/credential-process.cache.json`, "k", "secret", 60_000);
    assert.equal(await Deno.readTextFile(victim), "untouched");
    assert.deepEqual(JSON.parse(await Deno.readTextFile(`${dir}/plugins.json`)), { plugins: [] });
    const cache = await Deno.stat(`${dir}/credential-process.cache.json`);
    assert.equal(cache.mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
