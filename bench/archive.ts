/**
 * The archive case: one chart copied out of an `oci-archive:` of 1,000 charts into an `oci:`
 * layout, against `skopeo copy` of the same. h3 reads the archive where it lies (its headers,
 * then the chart's three blobs); until 723d87b it unpacked every blob first (~5 s on ext4).
 * @module
 */
import type { BenchContext } from "./_context.ts";
import { homeWithRefs } from "./_fixtures.ts";
import { compare } from "./_measure.ts";
import { type CaseResult, judge } from "./_report.ts";

const charts = 1000;

/** `chart copy oci-archive:FILE:REF oci:DIR` of one chart of 1,000 against `skopeo copy`. */
export async function archiveCase(ctx: BenchContext): Promise<CaseResult> {
  const refs: [string, string][] = [];
  for (let k = 0; k < charts; k++) refs.push([`chart-${k}`, `chart-${k}`]);
  const home = await homeWithRefs(ctx.home("archive"), await ctx.charts(), refs);
  const dir = `${ctx.work}/archive`;
  await Deno.mkdir(dir, { recursive: true });
  const archive = `${dir}/charts.tar`;
  const files = ["oci-layout", "index.json", "blobs"];
  const tar = await new Deno.Command("tar", {
    args: ["--format=ustar", "-C", `${home}/registry`, "-cf", archive, ...files],
    stderr: "inherit",
  }).output();
  if (!tar.success) throw new Error("bench fixture: tar of the archive failed");
  let n = 0;
  const measured = await compare(Math.max(ctx.rounds * 2 + 1, 5), () => {
    const run = n++;
    const ref = `chart-${(run * 37) % charts}`;
    return {
      h3: ctx.h3(home, ["chart", "copy", `oci-archive:${archive}:${ref}`, `oci:${dir}/h3-${run}`]),
      peer: {
        argv: [
          "skopeo",
          "copy",
          "-q",
          `oci-archive:${archive}:${ref}`,
          `oci:${dir}/sk-${run}:${ref}`,
        ],
        env: ctx.env(home),
      },
    };
  });
  return judge({
    name: "one chart out of a 1,000-chart archive",
    h3: "h3 chart copy oci-archive:FILE:REF oci:DIR",
    peer: "`skopeo copy oci-archive:… oci:…`",
    maxRatio: 1,
  }, measured);
}
