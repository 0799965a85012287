import assert from "node:assert/strict";
import { expectCode, type Sandbox, sandbox } from "../helpers/cli.ts";
import { auditCache, treeDigests, writeChart } from "../helpers/reliability.ts";

const hex = "[0-9a-f]{64}";

/** A sandbox with charts `a` (saved under two refs) and `b` in its cache. */
async function cacheWithCharts() {
  const box = await sandbox();
  const refs = {
    a: "localhost:5000/v/a:1.0.0",
    a2: "localhost:5000/v/a:stable",
    b: "localhost:5000/v/b:1.0.0",
  };
  const dirs = { a: await writeChart(box.dir, "a"), b: await writeChart(box.dir, "b") };
  expectCode(await box.run(["chart", "save", dirs.a, refs.a]), 0);
  expectCode(await box.run(["chart", "save", dirs.a, refs.a2]), 0);
  expectCode(await box.run(["chart", "save", dirs.b, refs.b]), 0);
  return { box, refs, dirs, cache: `${box.helmHome}/registry` };
}

/** The blob digests of a cached chart, from `h3 chart save`'s view of the cache. */
async function chartBlobs(box: Sandbox, ref: string) {
  const cache = `${box.helmHome}/registry`;
  const manifest = (await auditCache(cache)).manifests[ref];
  const parsed = JSON.parse(await Deno.readTextFile(`${cache}/blobs/sha256/${manifest.slice(7)}`));
  return {
    manifest,
    config: parsed.config.digest as string,
    content: parsed.layers[0].digest as string,
  };
}

const blobPath = (cache: string, digest: string) => `${cache}/blobs/sha256/${digest.slice(7)}`;

Deno.test("verify passes a whole cache, and an absent cache without creating it", async () => {
  const { box, cache } = await cacheWithCharts();
  await using _ = box;
  const result = expectCode(await box.run(["chart", "verify"]), 0);
  assert.match(result.stdout, /^Verified 3 refs and \d+ blobs: no problems\n$/);
  assert.equal(result.stderr, "");

  await using empty = await sandbox();
  const none = expectCode(await empty.run(["chart", "verify"]), 0);
  assert.equal(none.stdout, "Verified 0 refs and 0 blobs: no problems\n");
  await assert.rejects(Deno.stat(`${empty.helmHome}/registry`), Deno.errors.NotFound);
  assert.deepEqual((await auditCache(cache)).problems, []);
});

Deno.test("a corrupt blob is reported for every ref that needs it; --repair removes them", async () => {
  const { box, refs, dirs, cache } = await cacheWithCharts();
  await using _ = box;
  const a = await chartBlobs(box, refs.a);
  // a's refs share one manifest when saved within the same second, else they have one each.
  const manifests = new Set([a.manifest, (await chartBlobs(box, refs.a2)).manifest]).size;
  const path = blobPath(cache, a.content);
  const bytes = await Deno.readFile(path);
  bytes[bytes.length >> 1] ^= 0x01; // same size, one bit flipped: only a re-hash sees it
  await Deno.writeFile(path, bytes);

  const broken = expectCode(await box.run(["chart", "verify"]), 1);
  assert.deepEqual(broken.stdout.trimEnd().split("\n"), [
    `${refs.a}: layer ${a.content} is corrupt`,
    `${refs.a2}: layer ${a.content} is corrupt`,
    expect(
      broken.stdout,
      new RegExp(`^blob ${a.content}: corrupt: its content hashes to sha256:${hex}$`, "m"),
    ),
  ]);
  assert.match(
    broken.stderr,
    /^Error: 3 problems in the cache at .*; "h3 chart verify --repair" removes what is broken\n$/,
  );
  // Only the refs asked about.
  const one = expectCode(await box.run(["chart", "verify", refs.b, refs.a2]), 1);
  assert.equal(one.stdout, `${refs.a2}: layer ${a.content} is corrupt\n`);
  expectCode(await box.run(["chart", "verify", refs.b]), 0);

  const repaired = expectCode(await box.run(["chart", "verify", "--repair"]), 0);
  const lines = repaired.stdout.trimEnd().split("\n");
  assert.deepEqual(lines.slice(3), [
    `Removed blobs/sha256/${a.content.slice(7)}`,
    `Removed ${refs.a}`,
    `Removed ${refs.a2}`,
    lines[6], // the collection line, checked below
    lines[7],
  ]);
  // a's manifests and config (the corrupt content is gone already)
  assert.match(lines[6], new RegExp(`^Deleted ${manifests + 1} blobs, reclaimed [\\d.]+ (B|KiB)$`));
  assert.match(lines[7], /^Verified 1 ref and 3 blobs: no problems$/);
  const listed = JSON.parse(
    expectCode(await box.run(["chart", "list", "-o", "json"]), 0).stdout,
  );
  assert.deepEqual(listed.map((r: { ref: string }) => r.ref), [refs.b]);
  expectCode(await box.run(["chart", "export", refs.b, "-d", "out"]), 0);
  assert.deepEqual(await treeDigests(`${box.dir}/out/b`), await treeDigests(dirs.b));
  // Saving the chart again brings it back whole.
  expectCode(await box.run(["chart", "save", dirs.a, refs.a]), 0);
  expectCode(await box.run(["chart", "verify"]), 0);
});

Deno.test("missing blobs, a bad manifest, stray files and repeated refs are each reported", async () => {
  const { box, refs, cache } = await cacheWithCharts();
  await using _ = box;
  const a = await chartBlobs(box, refs.a);
  const b = await chartBlobs(box, refs.b);
  await Deno.remove(blobPath(cache, a.config));
  await Deno.writeTextFile(blobPath(cache, b.manifest), "not a manifest");
  await Deno.writeTextFile(`${cache}/blobs/sha256/leftover.partial`, "x");
  const index = JSON.parse(await Deno.readTextFile(`${cache}/index.json`));
  const [entryA] = index.manifests;
  index.manifests.push(entryA); // a ref listed twice, as a bad hand edit would
  await Deno.writeTextFile(`${cache}/index.json`, JSON.stringify(index));

  const result = expectCode(await box.run(["chart", "verify"]), 1);
  assert.deepEqual(result.stdout.trimEnd().split("\n"), [
    `${refs.a}: config ${a.config} is missing`,
    `${refs.a2}: config ${a.config} is missing`,
    `${refs.b}: manifest ${b.manifest} is corrupt`,
    `${refs.a}: config ${a.config} is missing`,
    expect(
      result.stdout,
      new RegExp(`^blob ${b.manifest}: corrupt: its content hashes to sha256:${hex}$`, "m"),
    ),
    "blobs/sha256/leftover.partial: not a sha256 digest name",
  ]);

  const repaired = expectCode(await box.run(["chart", "verify", "--repair"]), 0);
  assert.match(repaired.stdout, /^Verified 0 refs and 0 blobs: no problems$/m);
  assert.deepEqual(await auditCache(cache), { refs: [], manifests: {}, problems: [], temps: [] });
});

Deno.test("a ref listed twice keeps its whole entry on --repair", async () => {
  const { box, refs, cache } = await cacheWithCharts();
  await using _ = box;
  const index = JSON.parse(await Deno.readTextFile(`${cache}/index.json`));
  index.manifests.push(
    index.manifests.find((d: { annotations: Record<string, string> }) =>
      d.annotations["org.opencontainers.image.ref.name"] === refs.b
    ),
  );
  await Deno.writeTextFile(`${cache}/index.json`, JSON.stringify(index));
  const result = expectCode(await box.run(["chart", "verify"]), 1);
  assert.equal(result.stdout, `${refs.b}: listed more than once in index.json\n`);
  const repaired = expectCode(await box.run(["chart", "verify", "--repair"]), 0);
  assert.match(repaired.stdout, new RegExp(`^Removed ${refs.b}\nDeleted 0 blobs`, "m"));
  const audit = await auditCache(cache);
  assert.deepEqual(audit.problems, []);
  assert.deepEqual(audit.refs.toSorted(), Object.values(refs).toSorted());
});

Deno.test("an unreadable index.json is reported, and --repair refuses to guess", async () => {
  const { box, cache } = await cacheWithCharts();
  await using _ = box;
  await Deno.writeTextFile(`${cache}/index.json`, '{"manifests": [');
  const result = expectCode(await box.run(["chart", "verify"]), 1);
  assert.match(result.stdout, /^index\.json: .*index\.json is corrupt: /);
  const repair = expectCode(await box.run(["chart", "verify", "--repair"]), 1);
  assert.match(
    repair.stderr,
    /^Error: .*index\.json cannot be read, so the refs cannot be repaired/,
  );
  assert.equal(await Deno.readTextFile(`${cache}/index.json`), '{"manifests": [');
});

Deno.test("verify names refs that are not cached", async () => {
  const { box } = await cacheWithCharts();
  await using _ = box;
  const result = expectCode(await box.run(["chart", "verify", "localhost:5000/v/zzz:1.0.0"]), 1);
  assert.equal(result.stdout, "localhost:5000/v/zzz:1.0.0: not found in the cache\n");
  const untagged = expectCode(await box.run(["chart", "verify", "localhost:5000/v/zzz"]), 1);
  assert.equal(untagged.stderr, 'Error: chart "localhost:5000/v/zzz" not found in the cache\n');
});

/** The line of `text` matching `pattern` (so a list of expected lines can hold one computed line). */
function expect(text: string, pattern: RegExp): string {
  const found = pattern.exec(text);
  assert.ok(found, `no line matches ${pattern}:\n${text}`);
  return found[0];
}
