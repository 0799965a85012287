/** The save case: `h3 chart save` of a 64 MiB chart against `tar -czf - DIR | sha256sum`. @module */
import type { BenchContext } from "./_context.ts";
import { writeChartDir } from "./_fixtures.ts";
import { compare } from "./_measure.ts";
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
