/**
 * The save and export cases: `h3 chart save` of a 64 MiB chart, and of charts of 2,000 and 20,000
 * small files, against `tar -czf - DIR | sha256sum`; `h3 chart export` of those charts against
 * `tar -xzf` of their package into a new directory, with what each side spends per file beyond the
 * export of a chart of 2 files.
 * @module
 */
import type { BenchContext } from "./_context.ts";
import { writeChartDir } from "./_fixtures.ts";
import { compare, runOnce, sync } from "./_measure.ts";
import { type CaseResult, judge } from "./_report.ts";

/** Saving a chart of 64 text files of 1 MiB each into an empty cache. */
export async function saveCase(ctx: BenchContext): Promise<CaseResult> {
  const dir = `${ctx.work}/bigchart`;
  await writeChartDir(dir, "bigchart", 64, 1 << 20);
  const peer = await ctx.shell(ctx.work, "tar-gzip-sha256", [`tar -czf - -C ${dir} . | sha256sum`]);
  const measured = await compare(ctx.rounds, () => ({
    h3: ctx.h3(ctx.home("save"), ["chart", "save", dir, "charts.example/bench/bigchart:1.0.0"]),
    peer,
  }));
  return judge({
    name: "save (64 MiB chart)",
    h3: "h3 chart save DIR REF",
    peer: "`tar -czf - DIR | sha256sum`",
    maxRatio: 1.3,
    maxRssMiB: 256,
  }, measured);
}

/** Small files' size: 1 KiB of chart-like YAML, as dashboards, CRDs and config files are. */
const smallFile = 1024;

/** The peak RSS allowed whatever the file count: memory must not grow with it. */
const manyFilesRss = 128;

/** The chart of `files` small files, made once. */
async function manyFilesChart(ctx: BenchContext, files: number): Promise<string> {
  const dir = `${ctx.work}/many-${files}`;
  if (!(await Deno.stat(`${dir}/Chart.yaml`).catch(() => undefined))) {
    await writeChartDir(dir, `many${files}`, files, smallFile);
  }
  return dir;
}

/** Saving charts of 2,000 and 20,000 small files, and exporting them. */
export async function manyFilesCases(ctx: BenchContext): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const files of [2000, 20000]) {
    const dir = await manyFilesChart(ctx, files);
    const peer = await ctx.shell(ctx.work, `tar-many-${files}`, [
      `tar -czf - -C ${dir} . | sha256sum`,
    ]);
    const ref = `charts.example/bench/many${files}:1.0.0`;
    const measured = await compare(ctx.rounds, () => ({
      h3: ctx.h3(ctx.home(`many-${files}`), ["chart", "save", dir, ref]),
      peer,
    }));
    results.push(judge({
      name: `save (${files.toLocaleString("en")} files)`,
      h3: "h3 chart save DIR REF",
      peer: "`tar -czf - DIR | sha256sum`",
      maxRatio: 2,
      maxRssMiB: manyFilesRss,
    }, measured));
  }
  const fixed = await exportRuns(ctx, 2);
  for (const files of [2000, 20000]) {
    const measured = await exportRuns(ctx, files);
    results.push(judge(
      {
        name: `export (${files.toLocaleString("en")} files)`,
        h3: "h3 chart export REF",
        peer: "`tar -xzf` of the package into a new directory",
        maxRatio: 2,
        maxRssMiB: manyFilesRss,
      },
      measured,
      perFile(measured, fixed, files),
    ));
  }
  return results;
}

/**
 * What each side spends per file beyond the export of a chart of 2 files (`fixed`): the ratio
 * without the start-up and the fixed work of each (Deno's start, tar's shell).
 */
function perFile(measured: Measured, fixed: Measured, files: number): string {
  const [h3, tar] = (["h3", "peer"] as const).map((side) =>
    (measured[side].ms - fixed[side].ms) * 1000 / (files - 2)
  );
  return `per file beyond a 2-file chart's export (h3 ${fixed.h3.ms.toFixed(0)} ms, tar ${
    fixed.peer.ms.toFixed(0)
  } ms): h3 ${h3.toFixed(1)} µs, tar ${tar.toFixed(1)} µs (${(h3 / tar).toFixed(2)}×)`;
}

/** The medians of both sides of a comparison. */
type Measured = Awaited<ReturnType<typeof compare>>;

/** Exporting the chart of `files` small files into a new directory, against `tar -xzf`. */
async function exportRuns(ctx: BenchContext, files: number): Promise<Measured> {
  const dir = await manyFilesChart(ctx, files);
  const home = ctx.home(`export-${files}`);
  const ref = `charts.example/bench/many${files}:1.0.0`;
  await runOnce(ctx.h3(home, ["chart", "save", dir, ref]));
  const tgz = `${ctx.work}/many-${files}.tgz`;
  await runOnce(await ctx.shell(ctx.work, "tar-pack", [`tar -czf ${tgz} -C ${dir} .`]));
  const out = `${ctx.work}/export-${files}`;
  return await compare(ctx.rounds, async (round) => ({
    h3: ctx.h3(home, ["chart", "export", ref, "--destination", `${out}/h3-${round}`]),
    peer: await ctx.shell(ctx.work, `tar-x-${round}`, [
      `mkdir -p ${out}/tar-${round}`,
      `tar -xzf ${tgz} -C ${out}/tar-${round}`,
    ]),
  }), {
    // Each run writes thousands of files into a folder of its own: the disk is synced before the
    // next run, and nothing is deleted until the bench ends. On an ext4 without a journal, a new
    // file does not take an inode freed in the last minute (six while the inode's table block is
    // unwritten), and each creation checks them one by one: here, runs right after the deletion of
    // the last run's 20,000 files paid up to 1 ms a file, tar and h3 alike, as the deleted inodes
    // and the run's files happened to meet (0.45× and 1.84× in two runs of the same code).
    settle: sync,
  });
}
