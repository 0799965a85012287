/**
 * `copy` and the chart transfer over it, in process, with OCI layouts on disk as both ends (no
 * registry): blobs move before the manifest, bytes that do not match their digest or size are
 * refused with nothing of the chart left behind, a digest pin or a refused manifest stops before
 * any blob moves, and "up to date" means the destination reference already names this manifest.
 */
import assert from "node:assert/strict";
import type { OciLayout } from "../../core/cache/layout.ts";
import { transfer } from "../../core/chart/transfer.ts";
import { copy, type CopyEvent } from "../../core/copy.ts";
import { CacheError, ChartError, DigestError } from "../../core/errors.ts";
import { eachInSlots } from "../../core/slots.ts";
import type { Descriptor } from "../../core/oci/descriptor.ts";
import { recorded, storeChart, tempLayout } from "../helpers/layouts.ts";

const ref = "localhost:5000/charts/mychart:1.0.0";

/** Whether `layout` resolves `reference` (to which digest), or undefined when it does not. */
async function resolved(layout: OciLayout, reference: string): Promise<string | undefined> {
  return (await layout.resolve(reference).catch(() => undefined))?.digest;
}

/** Overwrites the stored blob `desc` with `bytes`. */
async function tamper(layout: OciLayout, desc: Descriptor, bytes: Uint8Array): Promise<void> {
  await Deno.writeFile(layout.blobPath(desc.digest), bytes);
}

Deno.test("copy moves the blobs, then the manifest; the destination resolves the same digest", async () => {
  await using from = await tempLayout();
  await using to = await tempLayout();
  const chart = await storeChart(from.layout, "mychart", "1.0.0", "the chart's bytes");
  await from.layout.tag(chart.desc, ref);
  const events: CopyEvent[] = [];
  const { target: dst, calls } = recorded(to.layout);
  const result = await copy(from.layout, ref, dst, ref, { onEvent: (e) => events.push(e) });
  assert.equal(result.desc.digest, chart.desc.digest);
  assert.equal(result.upToDate, false);
  assert.deepEqual(
    result.copied.map((d) => d.digest).sort(),
    [chart.config.digest, chart.layer.digest].sort(),
  );
  assert.deepEqual(result.skipped, []);
  assert.equal(await resolved(to.layout, ref), chart.desc.digest);
  // The manifest is stored and tagged only after both blobs.
  const tagAt = calls.indexOf(`tag ${chart.desc.digest}`);
  assert.ok(tagAt > calls.indexOf(`stage ${chart.layer.digest}`), calls.join("\n"));
  assert.ok(tagAt > calls.indexOf(`stage ${chart.config.digest}`), calls.join("\n"));
  // Each blob: start, progress up to its size, done.
  for (const blob of [chart.config, chart.layer]) {
    const mine = events.filter((e) => e.desc.digest === blob.digest);
    assert.equal(mine[0].kind, "start");
    assert.equal(mine.at(-1)!.kind, "done");
    const last = mine.filter((e) => e.kind === "progress").at(-1);
    assert.equal(last?.kind === "progress" && last.transferred, blob.size);
  }
});

Deno.test("a second copy is up to date: no blob is read or written, the reference is not touched", async () => {
  await using from = await tempLayout();
  await using to = await tempLayout();
  const chart = await storeChart(from.layout, "mychart", "1.0.0", "the chart's bytes");
  await from.layout.tag(chart.desc, ref);
  await copy(from.layout, ref, to.layout, ref);
  const index = await Deno.readTextFile(`${to.dir}/index.json`);
  const src = recorded(from.layout);
  const dst = recorded(to.layout);
  const again = await copy(src.target, ref, dst.target, ref);
  assert.equal(again.upToDate, true);
  assert.deepEqual(again.copied, []);
  assert.equal(again.skipped.length, 2);
  // Only the manifest is read from the source; the destination is only asked.
  assert.deepEqual(src.calls.filter((c) => c.startsWith("fetch")), [`fetch ${chart.desc.digest}`]);
  assert.deepEqual(
    dst.calls.filter((c) => /^(push|stage|tag) /.test(c)),
    [],
    dst.calls.join("\n"),
  );
  assert.equal(await Deno.readTextFile(`${to.dir}/index.json`), index);
});

Deno.test("blobs all there but the reference names another manifest: not up to date, the reference moves", async () => {
  await using from = await tempLayout();
  await using to = await tempLayout();
  const older = await storeChart(to.layout, "mychart", "1.0.0", "what was there");
  await to.layout.tag(older.desc, ref);
  const chart = await storeChart(from.layout, "mychart", "1.0.0", "the chart's bytes");
  await from.layout.tag(chart.desc, ref);
  // The destination already holds the new chart's blobs (another reference brought them).
  await copy(from.layout, ref, to.layout, "localhost:5000/other/mychart:1.0.0");
  const result = await copy(from.layout, ref, to.layout, ref);
  assert.equal(result.upToDate, false);
  assert.deepEqual(result.copied, []);
  assert.equal(await resolved(to.layout, ref), chart.desc.digest);
});

Deno.test("tags of one chart pulled at once: its config and blobs are read once and written once, every tag lands", async () => {
  await using from = await tempLayout();
  await using to = await tempLayout();
  const chart = await storeChart(from.layout, "mychart", "1.0.0", "the chart's bytes");
  const tags = Array.from({ length: 9 }, (_, i) => `localhost:5000/charts/mychart:1.0.${i}`);
  for (const tag of tags) await from.layout.tag(chart.desc, tag);
  const src = recorded(from.layout);
  const dst = recorded(to.layout);
  const pull = (tag: string) => transfer(src.target, tag, dst.target, tag, tag, { localDst: true });
  const moved = await Promise.all(tags.slice(0, 8).map(pull));
  assert.ok(moved.every((m) => m.meta.name === "mychart"));
  assert.equal(moved.filter((m) => m.copied.length > 0).length, 1);
  for (const blob of [chart.config, chart.layer]) {
    const fetched = src.calls.filter((c) => c === `fetch ${blob.digest}`);
    assert.equal(fetched.length, 1, src.calls.join("\n"));
  }
  const written = () => dst.calls.filter((c) => c.startsWith("stage ") || c.startsWith("push "));
  assert.deepEqual(
    written().sort(),
    [chart.config.digest, chart.layer.digest, chart.desc.digest].map((d) => `stage ${d}`).sort(),
  );
  // A tag pulled later finds everything there: nothing is written again, only the tag.
  await pull(tags[8]);
  assert.equal(written().length, 3, written().join("\n"));
  for (const tag of tags) assert.equal(await resolved(to.layout, tag), chart.desc.digest);
});

Deno.test("8 pulls at a time, a chart's 10 tags first: its waiting tags step aside and another chart moves meanwhile", async () => {
  await using from = await tempLayout();
  await using to = await tempLayout();
  const first = await storeChart(from.layout, "first", "1.0.0", "the first chart's bytes");
  const other = await storeChart(from.layout, "other", "1.0.0", "the other chart's bytes");
  const tags = Array.from({ length: 10 }, (_, i) => `localhost:5000/charts/first:1.0.${i}`);
  for (const tag of tags) await from.layout.tag(first.desc, tag);
  const otherTag = "localhost:5000/charts/other:1.0.0";
  await from.layout.tag(other.desc, otherTag);
  const refs = [...tags, otherTag];
  // The first chart's content is held back until the other chart is in place.
  const { promise: gate, resolve: open } = Promise.withResolvers<void>();
  const src = recorded(from.layout);
  const held = new Proxy(src.target, {
    get(t, key, receiver) {
      const value = Reflect.get(t, key, receiver);
      if (key !== "fetch" && key !== "fetchBytes") return value;
      return async (desc: Descriptor) => {
        if (desc.digest === first.layer.digest) await gate;
        return await value.call(t, desc);
      };
    },
  });
  let aside = 0;
  const run = eachInSlots(
    refs.length,
    8,
    (i, release, stepAside) =>
      transfer(held, refs[i], to.layout, refs[i], refs[i], {
        localDst: true,
        onQueued: release,
        onWaiting: () => stepAside() && aside++,
      }).then(() => {}),
    () => to.layout.flushTags(),
  );
  run.catch(() => {}); // awaited below
  try {
    for (let i = 0; i < 500 && await resolved(to.layout, otherTag) === undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(await resolved(to.layout, otherTag), other.desc.digest, src.calls.join("\n"));
    assert.equal(await resolved(to.layout, tags[0]), undefined, "the first chart is still held");
  } finally {
    open();
  }
  await run;
  assert.equal(aside, 9, "every tag but the one moving the chart waited outside a slot");
  for (const tag of tags) assert.equal(await resolved(to.layout, tag), first.desc.digest);
  const fetched = src.calls.filter((c) => c === `fetch ${first.layer.digest}`);
  assert.equal(fetched.length, 1, "the chart's content was fetched once for its 10 tags");
});

Deno.test("a blob whose bytes do not match its digest is refused, and nothing of the chart lands", async () => {
  await using from = await tempLayout();
  await using to = await tempLayout();
  const chart = await storeChart(from.layout, "mychart", "1.0.0", "the chart's bytes");
  await from.layout.tag(chart.desc, ref);
  await tamper(from.layout, chart.layer, new TextEncoder().encode("the chart's bytez"));
  await assert.rejects(copy(from.layout, ref, to.layout, ref), DigestError);
  assert.equal(await resolved(to.layout, ref), undefined);
  // The config, which did match, was staged and discarded with the rest.
  assert.equal(await to.layout.exists(chart.config), false);
  assert.equal(await to.layout.exists(chart.layer), false);
});

Deno.test("a blob of the wrong size is refused, and nothing of the chart lands", async () => {
  await using from = await tempLayout();
  await using to = await tempLayout();
  const chart = await storeChart(from.layout, "mychart", "1.0.0", "the chart's bytes");
  await from.layout.tag(chart.desc, ref);
  await tamper(from.layout, chart.layer, new TextEncoder().encode("the chart's bytes and more"));
  await assert.rejects(copy(from.layout, ref, to.layout, ref), DigestError);
  assert.equal(await resolved(to.layout, ref), undefined);
  assert.equal(await to.layout.exists(chart.layer), false);
});

Deno.test("a digest pin that does not match, or a refused manifest, stops before any blob moves", async () => {
  await using from = await tempLayout();
  await using to = await tempLayout();
  const chart = await storeChart(from.layout, "mychart", "1.0.0", "the chart's bytes");
  const other = await storeChart(from.layout, "mychart", "2.0.0", "other bytes");
  await from.layout.tag(chart.desc, ref);
  const src = recorded(from.layout);
  await assert.rejects(
    copy(src.target, ref, to.layout, ref, { expectDigest: other.desc.digest }),
    (e) => e instanceof DigestError && e.message.includes(`not the pinned ${other.desc.digest}`),
  );
  const blobReads = () =>
    src.calls.filter((c) => c.startsWith("fetch") && !c.endsWith(chart.desc.digest));
  assert.deepEqual(blobReads(), [], "a pin that does not match: no blob read");
  await assert.rejects(
    copy(src.target, ref, to.layout, ref, {
      validate: () => {
        throw new ChartError("not wanted");
      },
    }),
    ChartError,
  );
  // A chart's package may be read while its manifest is checked (a request's wait less), but
  // nothing moves: the config is never read, and the destination gets nothing.
  assert.ok(blobReads().every((c) => c.endsWith(chart.layer.digest)), blobReads().join());
  assert.equal(await to.layout.exists(chart.config), false);
  assert.equal(await to.layout.exists(chart.layer), false);
  assert.equal(await resolved(to.layout, ref), undefined);
});

Deno.test("transfer refuses what is not a Helm chart before a blob moves, and reads a config once", async () => {
  await using from = await tempLayout();
  await using to = await tempLayout();
  const image = await storeChart(
    from.layout,
    "app",
    "1.0.0",
    "layer",
    "application/vnd.oci.image.config.v1+json",
  );
  await from.layout.tag(image.desc, ref);
  await assert.rejects(transfer(from.layout, ref, to.layout, ref, ref, {}), ChartError);
  assert.equal(await to.layout.exists(image.layer), false);

  const chart = await storeChart(from.layout, "mychart", "1.0.0", "the chart's bytes");
  await from.layout.tag(chart.desc, ref);
  const src = recorded(from.layout);
  const moved = await transfer(src.target, ref, to.layout, ref, ref, {});
  assert.equal(moved.meta.name, "mychart");
  assert.deepEqual(moved.copied.map((d) => d.digest), [chart.config.digest, chart.layer.digest]);
  // The config read to check the chart is the one sent: fetched from the source once.
  assert.equal(src.calls.filter((c) => c === `fetch ${chart.config.digest}`).length, 1);
  const again = await transfer(from.layout, ref, to.layout, ref, ref, { localDst: true });
  assert.equal(again.upToDate, true);
  assert.deepEqual(again.copied, []);
});

Deno.test("a missing source blob is a CacheError naming it; the destination keeps nothing", async () => {
  await using from = await tempLayout();
  await using to = await tempLayout();
  const chart = await storeChart(from.layout, "mychart", "1.0.0", "the chart's bytes");
  await from.layout.tag(chart.desc, ref);
  await Deno.remove(from.layout.blobPath(chart.layer.digest));
  await assert.rejects(
    copy(from.layout, ref, to.layout, ref),
    (e) => e instanceof CacheError && e.message.includes(chart.layer.digest),
  );
  assert.equal(await to.layout.exists(chart.config), false);
  assert.equal(await resolved(to.layout, ref), undefined);
});
