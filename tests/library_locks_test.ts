/**
 * A long-running script using the library holds the cache only while an operation runs: after 200
 * operations (save, list, export, verify, push, pull, tags) it keeps no file of the cache open, and
 * `h3 chart prune` in another process is not kept waiting.
 */
import assert from "node:assert/strict";
import * as h3 from "../mod.ts";
import { minimalChart, writeTree } from "./helpers/charts.ts";
import { h3Command, sandbox } from "./helpers/cli.ts";
import { startRegistry } from "./helpers/registry.ts";

/** The files under `dir` this process has open (Linux: /proc/self/fd). */
async function openFilesUnder(dir: string): Promise<string[]> {
  const open: string[] = [];
  for await (const entry of Deno.readDir("/proc/self/fd")) {
    const target = await Deno.readLink(`/proc/self/fd/${entry.name}`).catch(() => "");
    if (target.startsWith(dir)) open.push(target);
  }
  return open;
}

Deno.test({
  name: "200 library operations leave no lock or descriptor; prune elsewhere is not blocked",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using box = await sandbox();
    await using registry = await startRegistry();
    const saved = { ...Deno.env.toObject() };
    for (const [key, value] of Object.entries(box.env)) Deno.env.set(key, value);
    try {
      await writeTree(`${box.dir}/mychart`, minimalChart);
      const repo = `${registry.host}/locks/mychart`;
      const ref = `${repo}:2.7.0`;
      const operations: (() => Promise<unknown>)[] = [
        () => h3.save(`${box.dir}/mychart`, repo),
        () => h3.list(),
        () => h3.push(ref),
        () => h3.pull(ref),
        () => h3.tags(repo),
        () => h3.verify([ref]),
        () => h3.exportChart(ref, `${box.dir}/out-${crypto.randomUUID()}`),
        () => h3.verify(),
      ];
      for (let done = 0; done < 200; done++) await operations[done % operations.length]();

      assert.deepEqual(await openFilesUnder(box.helmHome), []);
      // Bounded: a prune kept waiting on this process's lock is killed, and the test fails.
      const child = h3Command(["chart", "prune"], { cwd: box.dir, env: box.env }).spawn();
      const deadline = setTimeout(() => child.kill(), 60_000);
      const prune = await child.output();
      clearTimeout(deadline);
      assert.equal(prune.code, 0, new TextDecoder().decode(prune.stderr));
      assert.equal((await h3.list()).map((entry) => entry.ref).join(), ref);
    } finally {
      for (const key of Object.keys(Deno.env.toObject())) {
        if (!(key in saved)) Deno.env.delete(key);
      }
      for (const [key, value] of Object.entries(saved)) Deno.env.set(key, value);
    }
  },
});
