/**
 * The bench's helpers (not the bench itself, and nothing timed): medians and judging, the cache
 * fixtures, and the start-path reader of a bundle.
 */
import assert from "node:assert/strict";
import { OciLayout } from "../../core/cache/layout.ts";
import {
  chartText,
  homeWithRefs,
  smallChartPackage,
  storeChart,
  valuesText,
} from "../../bench/_fixtures.ts";
import { parseYaml } from "../../core/chart/chart_yaml.ts";
import { median, type Stats } from "../../bench/_measure.ts";
import { judge, markdown, table } from "../../bench/_report.ts";
import { keptRows } from "../../bench/main.ts";
import { processCpuMs } from "../../bench/transfer.ts";
import { bundleStartPath } from "../../bench/_start_path.ts";
import { tempDir } from "../helpers/charts.ts";

const stats = (ms: number, rssKiB = 1024): Stats => ({ ms, cpuMs: ms, rssKiB, runs: [ms] });

Deno.test("median of odd and even counts", () => {
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
});

Deno.test("a case passes only within its ratio and memory goals", () => {
  const spec = { name: "x", h3: "h3 x", peer: "y", maxRatio: 1.2, maxRssMiB: 256 };
  assert.equal(judge(spec, { h3: stats(110), peer: stats(100) }).pass, true);
  assert.equal(judge(spec, { h3: stats(130), peer: stats(100) }).pass, false);
  const heavy = judge(spec, { h3: stats(100, 300 * 1024), peer: stats(100) });
  assert.equal(heavy.pass, false);
  assert.equal(heavy.h3RssMiB, 300);
  assert.match(
    table([heavy], 69),
    /^x\s+100 ms\s+100 ms\s+1\.00×\s+69 ms\s+≤ 1\.2×, peak RSS ≤ 256 MiB\s+300 MiB\s+FAIL$/m,
  );
});

Deno.test("a row without a goal is information, not a pass or a failure", () => {
  const spec = { name: "one", h3: "h3 y", peer: "z", maxRatio: Infinity };
  const info = { ...judge(spec, { h3: stats(300), peer: stats(30) }), goal: "-" };
  assert.match(table([info], 120), /^one\s+300 ms\s+30 ms\s+10\.00×\s+120 ms\s+-\s+1 MiB\s+info$/m);
  assert.match(markdown([info], 120), /\| 10\.00× \| 120 ms \| - \| 1 MiB \| info \|$/m);
});

Deno.test("a row kept from an earlier run shows that run's Deno floor, not the latest's", () => {
  const spec = { name: "kept", h3: "h3 y", peer: "z", maxRatio: 2 };
  const kept = { ...judge(spec, { h3: stats(30), peer: stats(20) }), floorMs: 31 };
  const fresh = judge({ ...spec, name: "fresh" }, { h3: stats(30), peer: stats(20) });
  const [, , keptRow, freshRow] = markdown([kept, fresh], 18).split("\n");
  assert.match(keptRow, /\| 1\.50× \| 31 ms \|/);
  assert.match(freshRow, /\| 1\.50× \| 18 ms \|/);
});

Deno.test("chart text is compressible like YAML, and the same for a seed", async () => {
  const text = chartText(64 * 1024, 7);
  assert.equal(text.length, 64 * 1024);
  assert.equal(chartText(64 * 1024, 7), text);
  const gz = await smallChartPackage("c", 29_000, 1);
  assert.ok(gz.byteLength > 6 * 1024 && gz.byteLength < 10 * 1024, `${gz.byteLength} bytes`);
});

Deno.test("values text is a flat mapping of distinct keys, as Helm's loader wants values.yaml", () => {
  const text = valuesText(7000, 3);
  assert.ok(text.length > 6900 && text.length <= 7000 && text.endsWith("\n"));
  const values = parseYaml(text, "values.yaml") as Record<string, string>;
  assert.equal(Object.keys(values).length, text.trimEnd().split("\n").length);
});

Deno.test("a home with many refs lists them all, sharing the source's blobs", async () => {
  await using tmp = await tempDir();
  using source = await OciLayout.open(`${tmp.dir}/source`);
  await storeChart(source, "chart-0", "chart-0", await smallChartPackage("chart-0", 4000, 1));
  const refs: [string, string][] = [["r.example/b/c:2", "chart-0"], ["r.example/a/c:1", "chart-0"]];
  const home = await homeWithRefs(`${tmp.dir}/home`, [source], refs);
  using cache = await OciLayout.open(`${home}/registry`);
  const entries = await cache.entries();
  assert.deepEqual(entries.map((e) => e.ref), ["r.example/a/c:1", "r.example/b/c:2"]);
  const [original] = await source.entries();
  assert.equal(entries[0].desc.digest, original.desc.digest);
  assert.equal((await cache.manifest(entries[0].desc)).layers.length, 1);
});

Deno.test("a bundle's start path: static and literal dynamic imports, not computed ones", async () => {
  await using tmp = await tempDir();
  const write = (name: string, text: string) => Deno.writeTextFile(`${tmp.dir}/${name}`, text);
  await write("h3.js", 'import "./entry.js";\n');
  await write(
    "entry.js",
    [
      'import { a } from "./chunk-a.js";',
      "// commands/tree.ts",
      'const eager = () => import("./chart_list.js");',
      'const lazy = () => import(new URL("./chart_push.js", import.meta.url).href);',
    ].join("\n"),
  );
  await write("chunk-a.js", '// core/errors.ts\nimport { x } from "node:crypto";\n');
  await write("chart_list.js", "// core/cache/layout.ts\n");
  await write("chart_push.js", '// core/transport/client.ts\nimport "node:https";\n');
  const path = await bundleStartPath(`${tmp.dir}/h3.js`);
  assert.equal(path.files, 4);
  assert.deepEqual(path.modules, ["commands/tree.ts", "core/cache/layout.ts", "core/errors.ts"]);
  assert.deepEqual(path.builtins, ["node:crypto"]);
  assert.deepEqual(path.heavy, ["core/cache/layout.ts"]);
});

Deno.test("the markdown table keeps a pipe inside a cell", () => {
  const spec = {
    name: "save",
    h3: "h3 chart save",
    peer: "`tar -czf - DIR | sha256sum`",
    maxRatio: 1.3,
  };
  const row = markdown([judge(spec, { h3: stats(80), peer: stats(100) })], 12).split("\n")[2];
  assert.equal(row.split(/(?<!\\)\|/).length, 12, row); // 10 cells between 11 pipes
  assert.match(row, /\| 12 ms \|/); // the run's Deno floor beside the ratio
  assert.match(row, /DIR \\\| sha256sum/);
});

Deno.test("results.json keeps rows of cases that did not run and still exist, nothing stale", () => {
  const row = (c: string | undefined, name: string, note?: string) => ({
    case: c,
    name,
    h3: "h3",
    peer: "p",
    goal: "-",
    pass: note === undefined,
    note,
  });
  const last = [
    row("list", "list (10,000 refs)"),
    row("many", "save (2,000 files)"),
    row("many", "many files", "error: it failed then"),
    row("gone", "a case removed since"),
    row(undefined, "a row without a case"),
  ];
  const fresh = [row("many", "save (2,000 files)")];
  assert.deepEqual(keptRows(last, fresh).map((r) => r.name), ["list (10,000 refs)"]);
});

Deno.test("a process's CPU time is read from /proc: this one's grows as it works", () => {
  const start = processCpuMs(Deno.pid);
  assert.ok(start >= 0);
  let spun = 0;
  for (let i = 0; i < 5_000 && processCpuMs(Deno.pid) === start; i++) { // bounded: ~5 s at most
    const until = performance.now() + 1;
    while (performance.now() < until) spun++;
  }
  assert.ok(processCpuMs(Deno.pid) > start, `no CPU time seen after ${spun} spins`);
});
