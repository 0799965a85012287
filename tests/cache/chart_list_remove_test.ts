import assert from "node:assert/strict";
import { expectCode, sandbox } from "../helpers/cli.ts";
import { minimalChart, writeTree } from "../helpers/charts.ts";

/** Saves a chart named `name` at `version` under `ref` in the sandbox's cache. */
async function save(
  box: Awaited<ReturnType<typeof sandbox>>,
  name: string,
  version: string,
  ref: string,
) {
  const dir = `${box.dir}/src-${name}-${version}`;
  await writeTree(dir, {
    ...minimalChart,
    "Chart.yaml": `apiVersion: v2\nname: ${name}\nversion: ${version}\n`,
  });
  expectCode(await box.run(["chart", "save", dir, ref]), 0);
}

Deno.test("chart list shows every cached chart in aligned columns, or as JSON", async () => {
  await using box = await sandbox();
  const empty = expectCode(await box.run(["chart", "list"]), 0);
  assert.equal(empty.stdout, "REF     NAME    VERSION DIGEST  SIZE    CREATED\n");

  await save(box, "mychart", "2.7.0", "localhost:5000/myrepo/mychart:latest");
  await save(
    box,
    "acs-engine-autoscaler",
    "2.2.2",
    "localhost:5000/stable/acs-engine-autoscaler:latest",
  );
  const lines = expectCode(await box.run(["chart", "list"]), 0).stdout.trimEnd().split("\n");
  assert.equal(lines.length, 3);
  assert.equal(
    lines[0],
    `REF${" ".repeat(53)}NAME${" ".repeat(20)}VERSION DIGEST  SIZE    CREATED`,
  );
  assert.match(
    lines[1],
    /^localhost:5000\/myrepo\/mychart:latest {20}mychart {17}2\.7\.0 {3}[0-9a-f]{7} \d+ B +(Less than a second|\d+ seconds?)$/,
  );
  assert.match(
    lines[2],
    /^localhost:5000\/stable\/acs-engine-autoscaler:latest {6}acs-engine-autoscaler {3}2\.2\.2 /,
  );

  const json = JSON.parse(expectCode(await box.run(["chart", "list", "-o", "json"]), 0).stdout);
  assert.deepEqual(Object.keys(json[0]), ["ref", "name", "version", "digest", "size", "created"]);
  assert.equal(json[0].ref, "localhost:5000/myrepo/mychart:latest");
  assert.match(json[0].digest, /^sha256:[0-9a-f]{64}$/);
  assert.ok(json[0].size > 0);
  assert.ok(Date.now() - Date.parse(json[0].created) < 60_000);
  expectCode(await box.run(["chart", "list", "--output", "yaml"]), 2);
});

Deno.test("chart remove drops refs, collects their blobs, and reports unknown refs", async () => {
  await using box = await sandbox();
  await save(box, "a", "1.0.0", "localhost:5000/r/a:1.0.0");
  await save(box, "b", "1.0.0", "localhost:5000/r/b");
  const blobs = () => [...Deno.readDirSync(`${box.helmHome}/registry/blobs/sha256`)].length;
  assert.equal(blobs(), 6);

  const partial = await box.run([
    "chart",
    "remove",
    "localhost:5000/r/a:1.0.0",
    "localhost:5000/r/nope:1",
  ]);
  assert.equal(partial.code, 3);
  assert.equal(partial.stdout, "1.0.0: removed\n");
  assert.match(partial.stderr, /chart "localhost:5000\/r\/nope:1" not found in the cache/);
  assert.equal(blobs(), 3, "the removed chart's manifest, config and content are collected");

  const one = await box.run(["chart", "remove", "oci://localhost:5000/r/nope"]);
  assert.equal(one.code, 1);
  assert.equal(one.stderr, 'Error: chart "localhost:5000/r/nope" not found in the cache\n');
  expectCode(await box.run(["chart", "remove"]), 2);

  const list = JSON.parse(expectCode(await box.run(["chart", "list", "-o", "json"]), 0).stdout);
  assert.deepEqual(list.map((e: { ref: string }) => e.ref), ["localhost:5000/r/b:1.0.0"]);
});

Deno.test("chart prune deletes blobs no ref needs and leftovers of dead writers", async () => {
  await using box = await sandbox();
  await save(box, "a", "1.0.0", "localhost:5000/r/a:1.0.0");
  const cache = `${box.helmHome}/registry`;
  await Deno.writeTextFile(`${cache}/blobs/sha256/${"0".repeat(64)}`, "orphan");
  await Deno.writeTextFile(`${cache}/.tmp/999999999-dead`, "partial");
  const pruned = expectCode(await box.run(["chart", "prune"]), 0);
  assert.equal(pruned.stdout, "Deleted 1 blob and 1 temp file, reclaimed 13 B\n");
  assert.equal([...Deno.readDirSync(`${cache}/.tmp`)].length, 0);
  expectCode(
    await box.run(["chart", "export", "localhost:5000/r/a:1.0.0", "-d", `${box.dir}/out`]),
    0,
  );
});
