/** The list case: `h3 chart list` with 10,000 refs in the cache against parsing its index.json. @module */
import type { BenchContext } from "./_context.ts";
import { homeWithRefs } from "./_fixtures.ts";
import { compare } from "./_measure.ts";
import { type CaseResult, judge } from "./_report.ts";

/** `chart list` of a cache naming 10,000 refs (10 tags of each of 1000 charts). */
export async function listCase(ctx: BenchContext): Promise<CaseResult> {
  const refs: [string, string][] = [];
  for (let k = 0; k < 1000; k++) {
    for (let j = 0; j < 10; j++) {
      refs.push([`charts.example/team-${j}/chart-${k}:1.${j}.0`, `chart-${k}`]);
    }
  }
  const home = await homeWithRefs(ctx.home("list"), await ctx.charts(), refs);
  const script = `import json; json.load(open(${JSON.stringify(`${home}/registry/index.json`)}))`;
  const measured = await compare(Math.max(ctx.rounds * 3, 9), () => ({
    h3: ctx.h3(home, ["chart", "list"]),
    peer: { argv: ["python3", "-c", script], env: ctx.env(home) },
  }));
  return judge({
    name: "list (10,000 refs)",
    h3: "h3 chart list",
    peer: "`python3 -c 'import json; json.load(open(index.json))'`",
    maxRatio: 3,
  }, measured);
}
