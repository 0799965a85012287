import assert from "node:assert/strict";
import { OciLayout } from "../../core/cache/layout.ts";
import { lockFile } from "../../core/cache/lock.ts";
import { indexPieces, indexText, utf8Chunks } from "../../core/cache/_index.ts";
import { digestOf } from "../../core/oci/descriptor.ts";
import { annotations, helmContent } from "../../core/oci/media_types.ts";
import { CacheError, DigestError } from "../../core/errors.ts";
import { storeChart, tempLayout } from "../helpers/layouts.ts";

const encoder = new TextEncoder();

async function blobNames(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(`${dir}/blobs/sha256`)) names.push(e.name);
  return names.sort();
}

Deno.test("a new cache is a standard OCI image layout", async () => {
  await using t = await tempLayout();
  const { desc } = await storeChart(t.layout, "mychart", "1.0.0", "content");
  await t.layout.tag(desc, "localhost:5000/myrepo/mychart:1.0.0");
  const marker = JSON.parse(await Deno.readTextFile(`${t.dir}/oci-layout`));
  assert.deepEqual(marker, { imageLayoutVersion: "1.0.0" });
  const index = JSON.parse(await Deno.readTextFile(`${t.dir}/index.json`));
  assert.equal(index.schemaVersion, 2);
  assert.equal(index.manifests.length, 1);
  assert.equal(
    index.manifests[0].annotations["org.opencontainers.image.ref.name"],
    "localhost:5000/myrepo/mychart:1.0.0",
  );
  // every blob is stored under its own digest
  for (const name of await blobNames(t.dir)) {
    const bytes = await Deno.readFile(`${t.dir}/blobs/sha256/${name}`);
    assert.equal(await digestOf(bytes), `sha256:${name}`);
  }
});

Deno.test("tag records name, version, content digest and size for listing", async () => {
  await using t = await tempLayout();
  const { desc, layer } = await storeChart(t.layout, "mychart", "2.7.0", "some chart bytes");
  await t.layout.tag(desc, "localhost:5000/myrepo/mychart:latest");
  const [entry] = await t.layout.entries();
  assert.equal(entry.ref, "localhost:5000/myrepo/mychart:latest");
  assert.equal(entry.desc.digest, desc.digest);
  const a = entry.desc.annotations!;
  assert.equal(a[annotations.title], "mychart");
  assert.equal(a[annotations.version], "2.7.0");
  assert.equal(a[annotations.contentDigest], layer.digest);
  assert.equal(a[annotations.contentSize], String(layer.size));
  assert.equal(a[annotations.created], "2026-01-02T03:04:05Z");
});

Deno.test("tagging an existing ref replaces it; resolve finds refs and digests", async () => {
  await using t = await tempLayout();
  const ref = "localhost:5000/myrepo/mychart:latest";
  const first = await storeChart(t.layout, "mychart", "1.0.0", "one");
  const second = await storeChart(t.layout, "mychart", "1.0.1", "two");
  await t.layout.tag(first.desc, ref);
  await t.layout.tag(second.desc, ref);
  assert.equal((await t.layout.entries()).length, 1);
  assert.equal((await t.layout.resolve(ref)).digest, second.desc.digest);
  assert.equal((await t.layout.resolve(second.desc.digest)).digest, second.desc.digest);
  assert.equal(
    (await t.layout.resolve(`localhost:5000/myrepo/mychart@${second.desc.digest}`)).digest,
    second.desc.digest,
  );
  await assert.rejects(() => t.layout.resolve("localhost:5000/other:1"), CacheError);
});

Deno.test("content that does not match its descriptor is never stored", async () => {
  await using t = await tempLayout();
  const good = encoder.encode("good bytes");
  const desc = { mediaType: helmContent, digest: await digestOf(good), size: good.byteLength };
  await assert.rejects(
    () => t.layout.push(desc, ReadableStream.from([encoder.encode("evil bytes")])),
    DigestError,
  );
  await assert.rejects(
    () => t.layout.push(desc, ReadableStream.from([encoder.encode("good bytes and more")])),
    DigestError,
  );
  assert.equal(await t.layout.exists(desc), false);
  assert.deepEqual(await blobNames(t.dir), []);
  const temps = [...Deno.readDirSync(`${t.dir}/.tmp`)];
  assert.deepEqual(temps, [], "no temp file is left behind");
});

Deno.test("fetch refuses a blob corrupted on disk", async () => {
  await using t = await tempLayout();
  const { layer } = await storeChart(t.layout, "c", "1.0.0", "original content");
  await Deno.writeTextFile(t.layout.blobPath(layer.digest), "tampered content");
  const stream = await t.layout.fetch(layer);
  await assert.rejects(() => new Response(stream).arrayBuffer(), DigestError);
});

Deno.test("untag then collect removes only blobs no other ref needs", async () => {
  await using t = await tempLayout();
  const a = await storeChart(t.layout, "a", "1.0.0", "shared content");
  await t.layout.tag(a.desc, "localhost:5000/r/a:1.0.0");
  await t.layout.tag(a.desc, "localhost:5000/r/a:latest");
  const b = await storeChart(t.layout, "b", "1.0.0", "b content");
  await t.layout.tag(b.desc, "localhost:5000/r/b:1.0.0");
  const before = await blobNames(t.dir);

  await t.layout.untag("localhost:5000/r/a:latest");
  assert.deepEqual(await t.layout.collect(), { blobs: 0, temps: 0, bytes: 0 });
  assert.deepEqual(await blobNames(t.dir), before);

  await t.layout.untag("localhost:5000/r/b:1.0.0");
  const collected = await t.layout.collect();
  assert.equal(collected.blobs, 3);
  assert.equal(await t.layout.exists(b.layer), false);
  assert.equal(await t.layout.exists(a.layer), true);
  await assert.rejects(() => t.layout.untag("localhost:5000/r/b:1.0.0"), /not found in the cache/);
});

Deno.test("temp files of dead writers are removed by collect", async () => {
  await using t = await tempLayout();
  const a = await storeChart(t.layout, "a", "1.0.0", "x");
  await t.layout.tag(a.desc, "localhost:5000/r/a:1.0.0");
  // a writer that was killed: a pid that cannot exist
  await Deno.writeTextFile(`${t.dir}/.tmp/999999999-dead`, "partial");
  const result = await t.layout.collect();
  assert.equal(result.bytes, "partial".length);
  assert.deepEqual([...Deno.readDirSync(`${t.dir}/.tmp`)], []);
});

Deno.test("skopeo reads the cache as an OCI layout by its full ref", async () => {
  await using t = await tempLayout();
  const { desc } = await storeChart(t.layout, "mychart", "1.0.0", "content for skopeo");
  const ref = "localhost:5000/myrepo/mychart:1.0.0";
  await t.layout.tag(desc, ref);
  const out = await new Deno.Command("skopeo", {
    args: ["inspect", "--raw", `oci:${t.dir}:${ref}`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const raw = out.stdout;
  assert.equal(await digestOf(raw), desc.digest);
});

Deno.test("index updates from many processes at once lose nothing", async () => {
  await using t = await tempLayout();
  const { desc } = await storeChart(t.layout, "c", "1.0.0", "shared");
  const root = new URL("../../", import.meta.url).pathname;
  const script = `
    import { OciLayout } from "${root}core/cache/layout.ts";
    const layout = await OciLayout.open(Deno.args[0]);
    const desc = JSON.parse(Deno.args[1]);
    for (let i = 0; i < 10; i++) await layout.tag(desc, "localhost:5000/r/c:" + Deno.args[2] + "-" + i);
  `;
  await Promise.all([0, 1, 2, 3].map((n) =>
    new Deno.Command(Deno.execPath(), {
      args: ["eval", script, t.dir, JSON.stringify(desc), `p${n}`],
      stdout: "null",
    }).output().then((o) => assert.equal(o.code, 0))
  ));
  const refs = (await t.layout.entries()).map((e) => e.ref);
  assert.equal(refs.length, 40);
  assert.equal(new Set(refs).size, 40);
});

Deno.test("tags given at once all land, one entry per ref, each done once it is written", async () => {
  await using t = await tempLayout();
  const { desc: a } = await storeChart(t.layout, "a", "1.0.0", "a");
  const { desc: b } = await storeChart(t.layout, "b", "1.0.0", "b");
  const refs = Array.from({ length: 300 }, (_, i) => `r.example/many/c${i}:1.0.0`);
  await Promise.all([
    ...refs.map(async (ref) => {
      await t.layout.tag(a, ref);
      // resolved only once the entry is in index.json, as another process reads it
      const index = JSON.parse(await Deno.readTextFile(`${t.dir}/index.json`));
      assert.ok(
        index.manifests.some((d: { annotations: Record<string, string> }) =>
          d.annotations[annotations.refName] === ref
        ),
      );
    }),
    t.layout.tag(a, "r.example/one/c:1"),
    t.layout.tag(b, "r.example/one/c:1"),
  ]);
  const entries = await t.layout.entries();
  assert.equal(entries.length, 301);
  assert.deepEqual(
    entries.map((e) => e.ref),
    [...refs, "r.example/one/c:1"].sort((x, y) => x.localeCompare(y)),
  );
  assert.ok([a.digest, b.digest].includes((await t.layout.resolve("r.example/one/c:1")).digest));
  await t.layout.tag(b, "r.example/one/c:1");
  assert.equal((await t.layout.resolve("r.example/one/c:1")).digest, b.digest);
});

Deno.test("flushTags: a patient tag resting after a slow write is written at once", async () => {
  await using t = await tempLayout();
  const { desc } = await storeChart(t.layout, "a", "1.0.0", "a");
  // The first write waits 600 ms for the index lock, held here: the rest after such a write (ten
  // times as long) holds the next patient tag back for 6 s or more.
  const held = await lockFile(`${t.dir}/.index.lock`, true);
  const first = t.layout.tag(desc, "r.example/x/c:1", { queued() {} });
  await new Promise((resolve) => setTimeout(resolve, 600));
  held.release();
  await first;
  let written = false;
  const second = t.layout.tag(desc, "r.example/x/c:2", { queued() {} }).then(() => written = true);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(written, false, "resting after the slow write");
  t.layout.flushTags();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const rest = new Promise((resolve) => timer = setTimeout(() => resolve("still resting"), 3000));
  assert.equal(await Promise.race([second.then(() => "written"), rest]), "written");
  clearTimeout(timer);
  assert.deepEqual((await t.layout.entries()).map((e) => e.ref), [
    "r.example/x/c:1",
    "r.example/x/c:2",
  ]);
});

Deno.test("refs tagged 8 at a time, each letting its slot go once queued, share rewrites", async () => {
  await using t = await tempLayout();
  const { desc } = await storeChart(t.layout, "a", "1.0.0", "a");
  const refs = Array.from({ length: 400 }, (_, i) => `r.example/bulk/c${i}:1.0.0`);
  // As `chart pull` runs refs: 8 slots; a ref gives its slot to the next once its tag is queued.
  let free = 8;
  const waiting: (() => void)[] = [];
  const release = () => waiting.length ? waiting.shift()!() : free++;
  // index.json is only ever replaced by a rename: count them.
  const rename = Deno.rename;
  let rewrites = 0;
  Deno.rename = (from, to) => {
    if (String(to).endsWith("/index.json")) rewrites++;
    return rename(from, to);
  };
  try {
    await Promise.all(refs.map(async (ref) => {
      if (free > 0) free--;
      else await new Promise<void>((resolve) => waiting.push(resolve));
      let queued = false;
      await t.layout.tag(desc, ref, {
        queued: () => {
          queued = true;
          release();
        },
      });
      assert.ok(queued);
      // resolved only once the entry is in index.json, as another process reads it
      const index = JSON.parse(await Deno.readTextFile(`${t.dir}/index.json`));
      assert.ok(
        index.manifests.some((d: { annotations: Record<string, string> }) =>
          d.annotations[annotations.refName] === ref
        ),
      );
    }));
  } finally {
    Deno.rename = rename;
  }
  const index = JSON.parse(await Deno.readTextFile(`${t.dir}/index.json`));
  assert.deepEqual(
    index.manifests.map((d: { annotations: Record<string, string> }) =>
      d.annotations[annotations.refName]
    ),
    refs.toSorted((x, y) => x.localeCompare(y)),
  );
  // Holding a slot until its tag is written, a rewrite would carry at most 8 tags (50 or more).
  assert.ok(rewrites >= 1 && rewrites < refs.length / 8, `${rewrites} rewrites of index.json`);
});

Deno.test("index.json lists refs by repository, then tag, the same on every machine", async () => {
  await using t = await tempLayout();
  const { desc } = await storeChart(t.layout, "mychart", "1.0.0", "content");
  const refs = [
    "localhost:5000/team/chart2:1.0.0",
    "localhost:5000/team/chart:2.0.0",
    "localhost:5000/team/chart:10.0.0",
    "localhost:5000/team-b/chart:1.0.0",
    "localhost:5000/team/chart:1.0.0-rc.1",
  ];
  for (const ref of refs) await t.layout.tag(desc, ref);
  const index = JSON.parse(await Deno.readTextFile(`${t.dir}/index.json`));
  const names = index.manifests.map((d: { annotations: Record<string, string> }) =>
    d.annotations[annotations.refName]
  );
  assert.deepEqual(names, [
    "localhost:5000/team-b/chart:1.0.0",
    "localhost:5000/team/chart:1.0.0-rc.1",
    "localhost:5000/team/chart:10.0.0",
    "localhost:5000/team/chart:2.0.0",
    "localhost:5000/team/chart2:1.0.0",
  ]);
});

Deno.test("resolve sees index.json as another process rewrote it", async () => {
  await using t = await tempLayout();
  const { desc: a } = await storeChart(t.layout, "a", "1.0.0", "a");
  const { desc: b } = await storeChart(t.layout, "b", "1.0.0", "b");
  await t.layout.tag(a, "r.example/x/c:1");
  assert.equal((await t.layout.resolve("r.example/x/c:1")).digest, a.digest);
  // another process points the ref elsewhere (index.json replaced by a rename, as h3 writes it)
  using other = await OciLayout.open(t.dir);
  const index = JSON.parse(await Deno.readTextFile(`${t.dir}/index.json`));
  index.manifests[0].digest = b.digest;
  await Deno.writeTextFile(`${t.dir}/index.json.tmp`, JSON.stringify(index));
  await Deno.rename(`${t.dir}/index.json.tmp`, `${t.dir}/index.json`);
  assert.equal((await t.layout.resolve("r.example/x/c:1")).digest, b.digest);
  assert.equal((await other.resolve("r.example/x/c:1")).digest, b.digest);
  await Deno.remove(`${t.dir}/index.json`);
  await assert.rejects(t.layout.resolve("r.example/x/c:1"), CacheError);
});

Deno.test("index.json is written as JSON.stringify writes it, entries and other fields alike", () => {
  const entry = {
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    digest: `sha256:${"a".repeat(64)}`,
    size: 3,
    annotations: { [annotations.refName]: "r.example/a/c:1", note: 'line\nbreak "quoted" ü' },
  };
  const indexes = [
    { schemaVersion: 2 as const, manifests: [] },
    { schemaVersion: 2 as const, mediaType: "x", manifests: [entry, { ...entry, size: 4 }] },
    {
      schemaVersion: 2 as const,
      manifests: [entry, "odd", null, [1, { a: [] }], {}] as unknown as (typeof entry)[],
      annotations: { "k\n": "v" },
      extra: { nested: [1, 2, { deep: true }], empty: {} },
      skipped: undefined,
    },
  ];
  for (const index of indexes) {
    assert.equal(indexText(index), JSON.stringify(index, null, 2) + "\n");
    assert.equal(indexText(index), JSON.stringify(index, null, 2) + "\n"); // from its cache
  }
});

Deno.test("index.json written in chunks is the same bytes, multi-byte text never cut", async () => {
  const entries = Array.from({ length: 300 }, (_, i) => ({
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    digest: `sha256:${i.toString(16).padStart(64, "0")}`,
    size: i,
    annotations: { [annotations.refName]: `r.example/a/c:${i}`, note: "ü€😀".repeat(i % 7) },
  }));
  const index = { schemaVersion: 2 as const, mediaType: "x", manifests: entries };
  const chunks: Uint8Array[] = [];
  // Each chunk is used before the next is asked for (the next may be made in the same buffer).
  for (const chunk of utf8Chunks(indexPieces(index), 1000)) {
    assert.ok(chunk.byteLength <= 1000, `a chunk of ${chunk.byteLength} bytes`);
    chunks.push(chunk.slice());
  }
  assert.ok(chunks.length > 10, `${chunks.length} chunks`);
  const bytes = new Uint8Array(await new Response(ReadableStream.from(chunks)).arrayBuffer());
  assert.equal(new TextDecoder("utf-8", { fatal: true }).decode(bytes), indexText(index));
  assert.equal(indexText(index), JSON.stringify(index, null, 2) + "\n");
  // and a layout writes it so: what another reader parses is the index
  await using t = await tempLayout();
  const { desc } = await storeChart(t.layout, "a", "1.0.0", "a");
  await Promise.all(entries.map((e) => t.layout.tag(desc, e.annotations[annotations.refName])));
  const text = await Deno.readTextFile(`${t.dir}/index.json`);
  assert.equal(text, JSON.stringify(JSON.parse(text), null, 2) + "\n");
  assert.equal(JSON.parse(text).manifests.length, 300);
  // a piece bigger than a chunk (a field, an entry) goes whole, between the others
  const big = {
    schemaVersion: 2 as const,
    manifests: [
      ...entries.slice(0, 2),
      { ...entries[2], annotations: { ...entries[2].annotations, note: "é".repeat(700) } },
      entries[3],
    ],
    annotations: {
      long: "€".repeat(2000),
    },
  };
  const pieces: Uint8Array[] = [];
  for (const chunk of utf8Chunks(indexPieces(big), 1000)) pieces.push(chunk.slice());
  const whole = new TextDecoder("utf-8", { fatal: true }).decode(
    new Uint8Array(await new Response(ReadableStream.from(pieces)).arrayBuffer()),
  );
  assert.equal(whole, JSON.stringify(big, null, 2) + "\n");
});

Deno.test("a tag after another process rewrote index.json keeps that process's entries", async () => {
  await using t = await tempLayout();
  const { desc: a } = await storeChart(t.layout, "a", "1.0.0", "a");
  await t.layout.tag(a, "r.example/x/c:1");
  using other = await OciLayout.open(t.dir);
  await other.tag(a, "r.example/x/c:2"); // the same process, as another would: the file changes
  const index = JSON.parse(await Deno.readTextFile(`${t.dir}/index.json`));
  index.manifests.push({ ...index.manifests[0], annotations: { [annotations.refName]: "z/z:3" } });
  await Deno.writeTextFile(`${t.dir}/index.json.tmp`, JSON.stringify(index));
  await Deno.rename(`${t.dir}/index.json.tmp`, `${t.dir}/index.json`);
  await t.layout.tag(a, "r.example/x/c:4");
  assert.deepEqual(
    (await t.layout.entries()).map((e) => e.ref),
    ["r.example/x/c:1", "r.example/x/c:2", "r.example/x/c:4", "z/z:3"],
  );
});

Deno.test("lookups while this process rewrites index.json do not read the file again", async () => {
  await using t = await tempLayout();
  const { desc } = await storeChart(t.layout, "a", "1.0.0", "a");
  const refs = Array.from({ length: 300 }, (_, i) => `r.example/many/c${i}:1.0.0`);
  await t.layout.tag(desc, refs[0]);
  await t.layout.resolve(refs[0]); // the index as this process knows it
  const readTextFile = Deno.readTextFile;
  let reads = 0;
  Deno.readTextFile = (path, options) => {
    if (String(path) === `${t.dir}/index.json`) reads++;
    return readTextFile(path, options);
  };
  try {
    // As a bulk pull does: tags written in batches while other refs look theirs up.
    let tagging = true;
    const tags = Promise.all(refs.slice(1).map((ref) => t.layout.tag(desc, ref, { queued() {} })))
      .finally(() => tagging = false);
    for (let i = 0; tagging && i < 100_000; i++) { // bounded; a lookup at every turn meanwhile
      await t.layout.resolve(refs[0]).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await tags;
  } finally {
    Deno.readTextFile = readTextFile;
  }
  assert.equal(reads, 0, `index.json read ${reads} times`);
  const index = JSON.parse(await Deno.readTextFile(`${t.dir}/index.json`));
  assert.equal(index.manifests.length, 300);
});

Deno.test("lookups at once in a layout not read yet read index.json once, and each finds its ref", async () => {
  await using t = await tempLayout();
  const { desc: a } = await storeChart(t.layout, "a", "1.0.0", "a");
  const { desc: b } = await storeChart(t.layout, "b", "1.0.0", "b");
  await t.layout.tag(a, "r.example/x/a:1");
  await t.layout.tag(b, "r.example/x/b:1");
  using cold = await OciLayout.open(t.dir); // as a new command opens the cache
  const open = Deno.open;
  let opens = 0;
  Deno.open = (path, options) => {
    if (String(path) === `${t.dir}/index.json`) opens++;
    return open(path, options);
  };
  let found: string[];
  try {
    // As a bulk push starts: a lookup per slot, all at once.
    found = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const ref = i % 2 ? "r.example/x/b:1" : "r.example/x/a:1";
        return (await cold.resolve(ref)).digest;
      }),
    );
  } finally {
    Deno.open = open;
  }
  assert.equal(opens, 1, `index.json opened ${opens} times`);
  assert.deepEqual(found, Array.from({ length: 8 }, (_, i) => i % 2 ? b.digest : a.digest));
});
