import assert from "node:assert/strict";
import pLimit from "p-limit";
import { expectCode, h3Command, type Sandbox, sandbox } from "../helpers/cli.ts";
import { startRegistry } from "../helpers/registry.ts";
import {
  auditCache,
  type Pushed,
  rawChart,
  rawPush,
  treeDigests,
  writeChart,
} from "../helpers/reliability.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const random = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1));

async function count(dir: string): Promise<number> {
  let n = 0;
  try {
    for await (const _ of Deno.readDir(dir)) n++;
  } catch {
    // not created yet
  }
  return n;
}

/**
 * Runs `h3 ...args` and kills it with SIGKILL once `ready()` says so (polled every few ms), or
 * lets it finish. Returns whether it was killed.
 */
async function killWhen(box: Sandbox, args: string[], ready: () => Promise<boolean>) {
  const child = h3Command(args, { cwd: box.dir, env: box.env }).spawn();
  const output = child.output();
  let done = false;
  output.finally(() => done = true);
  while (!done && !(await ready())) await sleep(3);
  if (!done) {
    try {
      child.kill("SIGKILL");
    } catch {
      // it ended on its own just now
    }
  }
  const status = await output;
  return status.signal === "SIGKILL";
}

/** The cache is whole (audit clean) and `h3 chart list` works; returns the refs. */
async function assertWhole(box: Sandbox, context: string): Promise<string[]> {
  const audit = await auditCache(`${box.helmHome}/registry`);
  assert.deepEqual(audit.problems, [], context);
  expectCode(await box.run(["chart", "list"]), 0);
  return audit.refs;
}

Deno.test("kill -9 during a bulk pull of 60 charts never leaves a broken cache; a re-run finishes", async () => {
  await using registry = await startRegistry();
  await using box = await sandbox();
  const limit = pLimit(8);
  const pushed: Record<string, Pushed> = {};
  await Promise.all(Array.from({ length: 60 }, (_, i) =>
    limit(async () => {
      pushed[`${registry.host}/bulk/chart${i}:1.0.0`] = await rawPush(
        registry.url,
        `bulk/chart${i}`,
        "1.0.0",
        await rawChart(`chart${i}`),
      );
    })));
  const refs = Object.keys(pushed);
  const blobs = `${box.helmHome}/registry/blobs/sha256`;
  let kills = 0;
  for (let round = 1; round <= 4; round++) {
    const target = (await count(blobs)) + random(1, 40);
    if (
      await killWhen(box, ["chart", "pull", ...refs], async () => (await count(blobs)) >= target)
    ) {
      kills++;
    }
    const listed = await assertWhole(box, `after kill ${round}`);
    for (const ref of listed) assert.ok(refs.includes(ref), ref);
    expectCode(await box.run(["chart", "verify"]), 0);
  }
  assert.ok(kills >= 2, `only ${kills} of 4 runs were killed mid-pull`);

  expectCode(await box.run(["chart", "pull", ...refs]), 0);
  const audit = await auditCache(`${box.helmHome}/registry`);
  assert.deepEqual(audit.problems, []);
  assert.deepEqual(audit.temps, [], "temp files of killed runs are gone");
  assert.deepEqual(
    audit.manifests,
    Object.fromEntries(refs.toSorted().map((ref) => [ref, pushed[ref].manifest])),
  );
});

/** A chart of `files` incompressible 4 MiB files (tens of MiB packaged). */
async function largeChart(root: string, files: number): Promise<string> {
  const dir = await writeChart(root, "large");
  let x = 2463534242;
  for (let f = 0; f < files; f++) {
    const data = new Uint32Array(1024 * 1024);
    for (let i = 0; i < data.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      data[i] = x;
    }
    await Deno.writeFile(`${dir}/files/data${f}.bin`, new Uint8Array(data.buffer), {})
      .catch(async () => {
        await Deno.mkdir(`${dir}/files`, { recursive: true });
        await Deno.writeFile(`${dir}/files/data${f}.bin`, new Uint8Array(data.buffer));
      });
  }
  return dir;
}

Deno.test("kill -9 while saving a large chart leaves no partial blob; prune or the next run cleans up", async () => {
  await using box = await sandbox();
  const chart = await largeChart(box.dir, 6);
  const ref = "localhost:5000/big/large:1.0.0";
  const temp = `${box.helmHome}/registry/.tmp`;
  // A chart already cached must come through untouched.
  const small = await writeChart(box.dir, "small");
  expectCode(await box.run(["chart", "save", small, "localhost:5000/big/small:1.0.0"]), 0);

  for (let round = 1; round <= 3; round++) {
    let seen: number | undefined;
    const killed = await killWhen(box, ["chart", "save", chart, ref], async () => {
      if ((await count(temp)) === 0) return false;
      seen ??= Date.now() + random(0, 400);
      return Date.now() >= seen;
    });
    assert.ok(killed, `round ${round}: the save ended before it could be killed`);
    assert.ok((await count(temp)) > 0, "the killed save left its temp file");
    const listed = await assertWhole(box, `after kill ${round}`);
    assert.deepEqual(listed, ["localhost:5000/big/small:1.0.0"]);
    if (round === 1) {
      assert.match(expectCode(await box.run(["chart", "prune"]), 0).stdout, /reclaimed [1-9]/);
      assert.equal(await count(temp), 0, "prune removed the temp file");
    }
  }

  expectCode(await box.run(["chart", "save", chart, ref]), 0);
  assert.equal(await count(temp), 0, "the next run removed the temp files");
  await assertWhole(box, "after the re-run");
  expectCode(await box.run(["chart", "verify"]), 0);
  expectCode(await box.run(["chart", "export", ref, "--destination", "out"]), 0);
  assert.deepEqual(await treeDigests(`${box.dir}/out/large`), await treeDigests(chart));
  expectCode(await box.run(["chart", "export", "localhost:5000/big/small:1.0.0", "-d", "out"]), 0);
  assert.deepEqual(await treeDigests(`${box.dir}/out/small`), await treeDigests(small));
});

Deno.test("prune removes temp files of killed writers, never those of a running one", async () => {
  await using box = await sandbox();
  expectCode(
    await box.run(["chart", "save", await writeChart(box.dir, "c"), "localhost:5000/c"]),
    0,
  );
  const temp = `${box.helmHome}/registry/.tmp`;
  // This test runner is alive: a file named after it is a write in progress (an index update of a
  // concurrent `h3 chart remove`, say). 999999999 cannot be a running pid.
  await Deno.writeTextFile(`${temp}/${Deno.pid}-in-progress`, "{}");
  await Deno.writeTextFile(`${temp}/999999999-killed`, "partial");
  expectCode(await box.run(["chart", "prune"]), 0);
  assert.deepEqual(
    await Array.fromAsync(Deno.readDir(temp), (e) => e.name),
    [`${Deno.pid}-in-progress`],
  );
});
