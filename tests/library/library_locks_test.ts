/**
 * A long-running script using the library holds the cache only while an operation runs: after 200
 * operations (save, list, export, verify, push, pull, tags) it keeps no file of the cache open, and
 * `h3 chart prune` in another process is not kept waiting.
 */
import assert from "node:assert/strict";
import { minimalChart, writeTree } from "../helpers/charts.ts";
import { denoDir, h3Entry, sandbox } from "../helpers/cli.ts";
import { startRegistry } from "../helpers/registry.ts";

const root = new URL("../../", import.meta.url).pathname;

/**
 * The script under test, run as a process of its own: 200 library operations, then (still
 * running) the cache files it holds open and how `h3 chart prune` in another process fares.
 */
const script = (repo: string, chartDir: string, prune: string[]) => `
import * as h3 from "${root}mod.ts";
const ref = "${repo}:2.7.0";
const operations = [
  () => h3.save("${chartDir}", "${repo}"),
  () => h3.list(),
  () => h3.push(ref),
  () => h3.pull(ref),
  () => h3.tags("${repo}"),
  () => h3.verify([ref]),
  () => h3.exportChart(ref, "out-" + crypto.randomUUID()),
  () => h3.verify(),
];
for (let done = 0; done < 200; done++) await operations[done % operations.length]();

const open = [];
for await (const entry of Deno.readDir("/proc/self/fd")) {
  const target = await Deno.readLink("/proc/self/fd/" + entry.name).catch(() => "");
  if (target.startsWith(Deno.env.get("HELM_HOME"))) open.push(target);
}
// Bounded: a prune kept waiting on this process's lock is killed, and the test fails.
const child = new Deno.Command(Deno.execPath(), {
  args: ${JSON.stringify(prune)},
  stdout: "null",
  stderr: "piped",
}).spawn();
const deadline = setTimeout(() => child.kill(), 60_000);
const pruned = await child.output();
clearTimeout(deadline);
const refs = (await h3.list()).map((entry) => entry.ref);
console.log(JSON.stringify({
  open,
  prune: pruned.code,
  stderr: new TextDecoder().decode(pruned.stderr),
  refs,
}));
`;

Deno.test({
  name: "200 library operations leave no lock or descriptor; prune elsewhere is not blocked",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using box = await sandbox();
    await using registry = await startRegistry();
    await writeTree(`${box.dir}/mychart`, minimalChart);
    const repo = `${registry.host}/locks/mychart`;
    const prune = ["run", "-A", "--quiet", h3Entry(), "chart", "prune"];
    await Deno.writeTextFile(`${box.dir}/script.ts`, script(repo, `${box.dir}/mychart`, prune));
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", "--config", `${root}deno.json`, "script.ts"],
      cwd: box.dir,
      env: { ...box.env, NO_COLOR: "1", DENO_DIR: denoDir },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const result = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.deepEqual(result.open, []);
    assert.equal(result.prune, 0, result.stderr);
    assert.deepEqual(result.refs, [`${repo}:2.7.0`]);
  },
});
