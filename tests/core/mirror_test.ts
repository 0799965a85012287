/**
 * `mirror` (what `chart copy` runs) and `downloadChart` (Helm's form of pull, and export) in
 * process, with OCI layouts on disk as the Targets: tags sharing a manifest are copied once and
 * tagged, a re-run writes nothing, a failing tag does not stop the others, what is not a chart is
 * left out when asked; a download writes the content layer byte for byte, or nothing.
 */
import assert from "node:assert/strict";
import { downloadChart } from "../../core/chart/download.ts";
import { DigestError } from "../../core/errors.ts";
import { mirror, type TagCopy } from "../../core/mirror.ts";
import { recorded, storeChart, tempLayout } from "../helpers/layouts.ts";

const repo = "localhost:5000/charts/mychart";
const same = (tag: string): TagCopy => ({
  source: `${repo}:${tag}`,
  destination: `${repo}:${tag}`,
});

Deno.test("mirror: aliases are copied once and tagged, a non-chart is left out, a re-run writes nothing", async () => {
  await using from = await tempLayout();
  await using to = await tempLayout();
  const one = await storeChart(from.layout, "mychart", "1.0.0", "one");
  const two = await storeChart(from.layout, "mychart", "2.0.0", "two");
  const image = await storeChart(
    from.layout,
    "app",
    "1.0.0",
    "image",
    "application/vnd.oci.image.config.v1+json",
  );
  await from.layout.tag(one.desc, `${repo}:1.0.0`);
  await from.layout.tag(one.desc, `${repo}:stable`);
  await from.layout.tag(two.desc, `${repo}:2.0.0`);
  await from.layout.tag(image.desc, `${repo}:image`);
  const copies = ["1.0.0", "stable", "2.0.0", "image"].map(same);

  const dst = recorded(to.layout);
  const summary = await mirror(from.layout, dst.target, copies, { skipNonCharts: true });
  assert.deepEqual(summary.results.map((r) => r.status), [
    "copied",
    "tagged",
    "copied",
    "not-chart",
  ]);
  assert.deepEqual(
    [summary.copied, summary.tagged, summary.notCharts, summary.failed, summary.blobs],
    [2, 1, 1, 0, 4],
  );
  // The shared manifest's blobs were sent once, for 1.0.0; stable only points at it.
  assert.equal(dst.calls.filter((c) => c === `stage ${one.layer.digest}`).length, 1);
  for (const tag of ["1.0.0", "stable"]) {
    assert.equal((await to.layout.resolve(`${repo}:${tag}`)).digest, one.desc.digest);
  }
  assert.equal((await to.layout.resolve(`${repo}:2.0.0`)).digest, two.desc.digest);
  assert.equal(await to.layout.exists(image.layer), false);

  const again = recorded(to.layout);
  const rerun = await mirror(from.layout, again.target, copies, { skipNonCharts: true });
  assert.deepEqual(rerun.results.map((r) => r.status), [
    "skipped",
    "skipped",
    "skipped",
    "not-chart",
  ]);
  assert.equal(rerun.blobs, 0);
  assert.deepEqual(again.calls.filter((c) => /^(push|stage|tag) /.test(c)), []);
});

Deno.test("mirror: a tag that fails is in the summary and the others go on", async () => {
  await using from = await tempLayout();
  await using to = await tempLayout();
  const one = await storeChart(from.layout, "mychart", "1.0.0", "one");
  const two = await storeChart(from.layout, "mychart", "2.0.0", "two");
  await from.layout.tag(one.desc, `${repo}:1.0.0`);
  await from.layout.tag(two.desc, `${repo}:2.0.0`);
  await Deno.writeFile(from.layout.blobPath(two.layer.digest), new TextEncoder().encode("twx"));
  const summary = await mirror(from.layout, to.layout, ["1.0.0", "2.0.0", "3.0.0"].map(same));
  assert.deepEqual(summary.results.map((r) => r.status), ["copied", "failed", "failed"]);
  const failed = summary.results[1];
  assert.ok(failed.status === "failed" && failed.error instanceof DigestError);
  assert.equal((await to.layout.resolve(`${repo}:1.0.0`)).digest, one.desc.digest);
  assert.equal(await to.layout.exists(two.config), false, "nothing of the failed chart stays");
});

Deno.test("download writes the content layer byte for byte, or nothing when it does not verify", async () => {
  await using from = await tempLayout();
  const out = await Deno.makeTempDir({ prefix: "h3-download-" });
  try {
    const chart = await storeChart(from.layout, "mychart", "1.0.0", "the package's bytes");
    await from.layout.tag(chart.desc, `${repo}:1.0.0`);
    const written = await downloadChart(from.layout, `${repo}:1.0.0`, { destination: out });
    assert.equal(written.path, `${out}/mychart-1.0.0.tgz`);
    assert.equal(await Deno.readTextFile(written.path), "the package's bytes");
    assert.equal(written.meta.version, "1.0.0");

    await Deno.remove(written.path);
    await Deno.writeFile(
      from.layout.blobPath(chart.layer.digest),
      new TextEncoder().encode("the package's bytez"),
    );
    await assert.rejects(
      downloadChart(from.layout, `${repo}:1.0.0`, { destination: out }),
      DigestError,
    );
    assert.deepEqual(await Array.fromAsync(Deno.readDir(out)), [], "no file, no temp file");
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("mirror into an OCI layout: 400 tags, 8 at a time, share rewrites of index.json", async () => {
  await using from = await tempLayout();
  await using to = await tempLayout();
  // 40 charts × 10 tags: each chart's first tag is copied, its other 9 are tagged from it.
  const copies: TagCopy[] = [];
  for (let k = 0; k < 40; k++) {
    const chart = await storeChart(from.layout, `c${k}`, "1.0.0", `content ${k}`);
    const tags = Array.from({ length: 10 }, (_, j) => `c${k}-1.${j}.0`);
    await Promise.all(tags.map((tag) => from.layout.tag(chart.desc, `${repo}:${tag}`)));
    copies.push(...tags.map(same));
  }
  // index.json is only ever replaced by a rename: count them.
  const rename = Deno.rename;
  let rewrites = 0;
  Deno.rename = (source, target) => {
    if (String(target) === `${to.dir}/index.json`) rewrites++;
    return rename(source, target);
  };
  let summary;
  try {
    summary = await mirror(from.layout, to.layout, copies, { concurrency: 8 });
  } finally {
    Deno.rename = rename;
  }
  assert.deepEqual([summary.copied, summary.tagged, summary.failed], [40, 360, 0]);
  assert.deepEqual(
    (await to.layout.entries()).map((e) => e.ref),
    copies.map((c) => c.destination).toSorted(),
  );
  // A tag holding its slot until written, each rewrite would carry at most 8 tags (50 or more).
  assert.ok(rewrites >= 1 && rewrites < copies.length / 8, `${rewrites} rewrites of index.json`);
});

Deno.test("mirror: tags in slots as they free, each chart's first tag in order copied, a failed chart's aliases failed", async () => {
  await using from = await tempLayout();
  await using to = await tempLayout();
  const charts = [];
  for (let k = 0; k < 6; k++) {
    const chart = await storeChart(from.layout, `c${k}`, "1.0.0", `content ${k}`);
    for (let j = 0; j < 4; j++) await from.layout.tag(chart.desc, `${repo}:c${k}-${j}`);
    charts.push(chart);
  }
  const broken = charts[5];
  await Deno.writeFile(from.layout.blobPath(broken.layer.digest), new TextEncoder().encode("x"));
  // Chart k's first tag, c{k}-0, resolves last of its tags: resolves end out of order.
  const copies: TagCopy[] = [];
  for (let k = 0; k < 6; k++) for (let j = 0; j < 4; j++) copies.push(same(`c${k}-${j}`));
  const resolve = from.layout.resolve.bind(from.layout);
  let running = 0;
  let most = 0;
  from.layout.resolve = async (reference: string) => {
    most = Math.max(most, ++running);
    try {
      await new Promise((resolve) => setTimeout(resolve, reference.endsWith("-0") ? 20 : 0));
      return await resolve(reference);
    } finally {
      running--;
    }
  };
  const summary = await mirror(from.layout, to.layout, copies, { concurrency: 3 });
  assert.ok(most <= 3, `${most} resolves at once`);
  assert.deepEqual(
    summary.results.map((r) => `${r.copy.source.split(":").at(-1)} ${r.status}`),
    copies.map((c) => {
      const [chart, j] = c.source.split(":").at(-1)!.split("-");
      const status = chart === "c5" ? "failed" : j === "0" ? "copied" : "tagged";
      return `${chart}-${j} ${status}`;
    }),
  );
  assert.deepEqual([summary.copied, summary.tagged, summary.failed], [5, 15, 4]);
  assert.equal((await to.layout.resolve(`${repo}:c2-3`)).digest, charts[2].desc.digest);
});
