import assert from "node:assert/strict";
import { readTree } from "../helpers/charts.ts";
import { expectCode, sandbox } from "../helpers/cli.ts";
import { startFaultProxy } from "../helpers/fault_proxy.ts";
import { startRegistry } from "../helpers/registry.ts";
import { auditCache, rawChart, rawPush, writeChart } from "../helpers/reliability.ts";

Deno.test("five writers and a pull at once on one cache: every ref listed, every blob whole", async () => {
  await using registry = await startRegistry();
  await using box = await sandbox();
  const pulled = await Promise.all([0, 1, 2, 3, 4].map(async (i) => {
    await rawPush(registry.url, `pulled/p${i}`, "1.0.0", await rawChart(`p${i}`));
    return `${registry.host}/pulled/p${i}:1.0.0`;
  }));
  const writers = [0, 1, 2, 3];
  const perWriter = 5;
  const saved: Record<string, string> = {};
  for (const w of writers) {
    for (let i = 0; i < perWriter; i++) {
      saved[`localhost:5000/w${w}/c${i}:1.0.0`] = await writeChart(
        `${box.dir}/src/w${w}`,
        `c${i}`,
      );
    }
  }
  const sharedRef = "localhost:5000/shared/chart:stable";
  const versions = [
    await writeChart(`${box.dir}/src/v1`, "chart", "1.0.0"),
    await writeChart(`${box.dir}/src/v2`, "chart", "2.0.0"),
  ];

  const save = async (dir: string, ref: string) =>
    expectCode(await box.run(["chart", "save", dir, ref]), 0);
  let writing = true;
  let checks = 0;
  await Promise.all([
    Promise.all([
      ...writers.map(async (w) => {
        for (let i = 0; i < perWriter; i++) {
          await save(`${box.dir}/src/w${w}/c${i}`, `localhost:5000/w${w}/c${i}:1.0.0`);
        }
      }),
      (async () => {
        for (let i = 0; i < 8; i++) await save(versions[i % 2], sharedRef);
      })(),
      box.run(["chart", "pull", ...pulled]).then((r) => expectCode(r, 0)),
    ]).finally(() => writing = false),
    (async () => {
      // A check running beside the writers sees only finished work: never a false problem.
      while (writing) {
        expectCode(await box.run(["chart", "verify"]), 0);
        checks++;
      }
    })(),
  ]);
  assert.ok(checks >= 2, `verify ran ${checks} times beside the writers`);

  const listed = JSON.parse(
    expectCode(await box.run(["chart", "list", "--output", "json"]), 0).stdout,
  ).map((row: { ref: string }) => row.ref);
  const expected = [...Object.keys(saved), sharedRef, ...pulled].sort();
  assert.deepEqual(listed.toSorted(), expected);

  const audit = await auditCache(`${box.helmHome}/registry`);
  assert.deepEqual(audit.problems, []);
  assert.deepEqual(audit.refs.toSorted(), expected, "index.json names each ref once");
  assert.deepEqual(audit.temps, []);
  const verified = expectCode(await box.run(["chart", "verify"]), 0);
  assert.match(verified.stdout, /^Verified 26 refs and \d+ blobs: no problems\n$/);

  // The shared ref holds one of the two versions, whole; the others export as they were saved.
  const exported = expectCode(
    await box.run(["chart", "export", sharedRef, "--destination", "out/shared"]),
    0,
  );
  const version = /^Version: (\S+)$/m.exec(exported.stdout)![1];
  assert.deepEqual(
    await readTree(`${box.dir}/out/shared/chart`),
    await readTree(versions[version === "1.0.0" ? 0 : 1]),
  );
  for (const w of writers) {
    const ref = `localhost:5000/w${w}/c${w}:1.0.0`;
    expectCode(await box.run(["chart", "export", ref, "--destination", `out/w${w}`]), 0);
    assert.deepEqual(await readTree(`${box.dir}/out/w${w}/c${w}`), await readTree(saved[ref]));
  }
});

Deno.test("removing a chart while a pull reuses its blobs leaves the pulled chart whole", async () => {
  await using registry = await startRegistry();
  await using box = await sandbox();
  // The local chart and the remote one share their config (same Chart.yaml), not their content.
  const local = await writeChart(box.dir, "racy");
  const saved = expectCode(
    await box.run(["chart", "save", local, "localhost:5000/old/racy:1.0.0"]),
    0,
  );
  const remote = await rawPush(registry.url, "new/racy", "1.0.0", await rawChart("racy"));
  assert.match(saved.stdout, new RegExp(`^Meta: ${remote.config}$`, "m"), "config is shared");

  let downloading: () => void;
  const started = new Promise<void>((resolve) => downloading = resolve);
  await using proxy = startFaultProxy(registry.url, async ({ request, url }) => {
    if (request.method === "GET" && url.pathname.endsWith(remote.content)) {
      downloading();
      await new Promise((resolve) => setTimeout(resolve, 1500));
    }
    return undefined;
  });
  const ref = `${proxy.host}/new/racy:1.0.0`;
  const pull = box.run(["chart", "pull", ref]);
  await started; // the pull has found the shared config in the cache and is downloading content
  const removed = box.run(["chart", "remove", "localhost:5000/old/racy:1.0.0"]);
  expectCode(await pull, 0);
  assert.equal(expectCode(await removed, 0).stdout, "1.0.0: removed\n");

  const audit = await auditCache(`${box.helmHome}/registry`);
  assert.deepEqual(audit.problems, []);
  assert.deepEqual(audit.refs, [ref]);
  expectCode(await box.run(["chart", "export", ref, "--destination", "out"]), 0);
  assert.equal((await readTree(`${box.dir}/out/racy`))["values.yaml"], "name: racy\n");
});
