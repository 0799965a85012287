/**
 * Transfer cases against a real registry:2: one `h3 chart push` / `chart pull` of 100 charts
 * against the skopeo loop a user writes today, a chart with a 200 MiB layer against curl, and how
 * bulk push time grows from 10 to 100 to 1000 charts. Each round uses new repositories, so the
 * registry never already holds what is pushed (the scaling case: a new, empty registry per push).
 * @module
 */
import { OciLayout } from "../core/cache/layout.ts";
import { annotations } from "../core/oci/media_types.ts";
import type { BenchContext } from "./_context.ts";
import { homeWithRefs, randomBytes, storeChart } from "./_fixtures.ts";
import { compare, median, runOnce, type Sample, stats, sync } from "./_measure.ts";
import { type CaseResult, judge } from "./_report.ts";

const bulk = 100;

function range(count: number): number[] {
  return Array.from({ length: count }, (_, k) => k);
}

/**
 * A HELM_HOME naming `count` charts as `HOST/REPO_PREFIX/chart-K:1.0.0` (HOST: the shared
 * registry's unless given); returns it and the refs.
 */
export async function pushHome(
  ctx: BenchContext,
  prefix: string,
  count: number,
  registryHost?: string,
): Promise<{ home: string; refs: string[] }> {
  const host = registryHost ?? (await ctx.registry()).host;
  const refs = range(count).map((k) => `${host}/${prefix}/chart-${k}:1.0.0`);
  const home = await homeWithRefs(
    ctx.home(prefix),
    await ctx.charts(),
    refs.map((ref, k) => [ref, `chart-${k}`]),
  );
  return { home, refs };
}

/** One `h3 chart push` of 100 charts against `skopeo copy oci:… docker://…` per chart. */
export async function bulkPushCase(ctx: BenchContext): Promise<CaseResult> {
  const { host } = await ctx.registry();
  const measured = await compare(ctx.rounds, async (round) => {
    const { home, refs } = await pushHome(ctx, `push-h3-${round}`, bulk);
    const loop = refs.map((ref, k) =>
      `skopeo copy --dest-tls-verify=false oci:${home}/registry:${ref} ` +
      `docker://${host}/push-skopeo-${round}/chart-${k}:1.0.0`
    );
    return {
      h3: ctx.h3(home, ["chart", "push", ...refs]),
      peer: await ctx.shell(home, `skopeo-push-${round}`, loop),
    };
  }, { warmUp: false });
  return judge(
    {
      name: "bulk push (100 charts)",
      h3: "h3 chart push REF×100",
      peer: "`skopeo copy oci:… docker://…` per chart",
      maxRatio: 0.25,
    },
    measured,
    await requestsPerChart(ctx),
  );
}

/**
 * Requests per chart of one `h3 chart push` of 100 new charts, and of the same push again (every
 * chart unchanged), from the registry's access log.
 */
async function requestsPerChart(ctx: BenchContext): Promise<string> {
  const registry = await ctx.registry();
  const { home, refs } = await pushHome(ctx, "push-count", bulk);
  const count = async () => {
    const from = registry.requests().length;
    await runOnce(ctx.h3(home, ["chart", "push", ...refs]));
    await new Promise((resolve) => setTimeout(resolve, 500)); // the access log lags a little
    const lines = registry.requests().slice(from).filter((line) => line.includes("/push-count/"));
    return (lines.length / bulk).toFixed(2);
  };
  const fresh = await count();
  const again = await count();
  return `requests per chart (registry:2): ${fresh} new, ${again} unchanged (re-push)`;
}

/** One `h3 chart pull` of 100 charts against `skopeo copy docker://… oci:…` per chart. */
export async function bulkPullCase(ctx: BenchContext): Promise<CaseResult> {
  const seed = await pushHome(ctx, "pull", bulk);
  await runOnce(ctx.h3(seed.home, ["chart", "push", ...seed.refs]));
  const measured = await compare(ctx.rounds, async (round) => {
    const home = ctx.home(`pull-${round}`);
    const layout = `${home}/skopeo-layout`;
    const loop = seed.refs.map((ref, k) =>
      `skopeo copy --src-tls-verify=false docker://${ref} oci:${layout}:chart-${k}`
    );
    return {
      h3: ctx.h3(home, ["chart", "pull", ...seed.refs]),
      peer: await ctx.shell(home, `skopeo-pull-${round}`, [`mkdir -p ${home}`, ...loop]),
    };
  }, { warmUp: false });
  return judge({
    name: "bulk pull (100 charts)",
    h3: "h3 chart pull REF×100",
    peer: "`skopeo copy docker://… oci:…` per chart",
    maxRatio: 0.25,
  }, measured);
}

/** Pulling a chart whose content layer is 200 MiB against `curl` of that blob + `sha256sum`. */
export async function bigPullCase(ctx: BenchContext): Promise<CaseResult> {
  const { host, url } = await ctx.registry();
  const ref = `${host}/big/bigchart:1.0.0`;
  const seed = ctx.home("big-seed");
  using cache = await OciLayout.open(`${seed}/registry`);
  await storeChart(cache, ref, "bigchart", randomBytes(200 << 20, 42));
  const [entry] = await cache.entries();
  const digest = entry.desc.annotations![annotations.contentDigest];
  await runOnce(ctx.h3(seed, ["chart", "push", ref]));
  const file = `${ctx.work}/curl-blob`;
  const peer = await ctx.shell(ctx.work, "curl-sha256", [
    `curl -sSf -o ${file} ${url}/v2/big/bigchart/blobs/${digest}`,
    `sha256sum ${file}`,
  ]);
  const home = `${ctx.work}/home-big`;
  const measured = await compare(ctx.rounds, () => ({
    h3: ctx.h3(home, ["chart", "pull", ref]),
    peer,
  }), {
    // Each side writes 200 MiB to a new file. Before every run the last run's file is deleted and
    // the disk synced: here, a run right after the other side's run otherwise paid for its
    // writeback and took up to 1.5 times as long, whichever side it was.
    settle: async () => {
      await Deno.remove(file).catch(() => {});
      await Deno.remove(home, { recursive: true }).catch(() => {});
      await sync();
    },
  });
  return judge({
    name: "big blob pull (200 MiB)",
    h3: "h3 chart pull REF",
    peer: "`curl` of the blob to a file + `sha256sum`",
    maxRatio: 1.2,
    maxRssMiB: 256,
  }, measured);
}

/** CPU time (user + system) a process has used so far, ms, from `/proc/PID/stat`. */
export function processCpuMs(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  // After "pid (comm) ": field 3 is the state; utime and stime are fields 14 and 15, in ticks.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10; // USER_HZ is 100 on Linux
}

/** One timed push of the scaling case, with the registry's CPU time during it. */
interface ScaledPush {
  sample: Sample;
  registryCpuMs: number;
}

/**
 * Times `h3 chart push` of `count` new charts against a registry:2 of its own, started empty for
 * this push and stopped after it: each size is measured against the same empty registry, not one
 * holding what the earlier (smaller) runs pushed. The registry's CPU time during the push is
 * read from `/proc`.
 */
async function timePush(ctx: BenchContext, count: number, round: number): Promise<ScaledPush> {
  await using registry = await ctx.startRegistry();
  const { home, refs } = await pushHome(ctx, `scale-${count}-${round}`, count, registry.host);
  const before = processCpuMs(registry.pid);
  const sample = await runOnce(ctx.h3(home, ["chart", "push", ...refs]));
  return { sample, registryCpuMs: processCpuMs(registry.pid) - before };
}

/** Per chart at `count` charts: median wall, h3's CPU and the registry's CPU, as text. */
function perChart(count: number, pushes: ScaledPush[]): string {
  const ms = (values: number[]) => (median(values) / count).toFixed(1);
  return `${count} charts: ${ms(pushes.map((p) => p.sample.ms))} ms wall, ` +
    `h3 CPU ${ms(pushes.map((p) => p.sample.cpuMs))} ms, ` +
    `registry CPU ${ms(pushes.map((p) => p.registryCpuMs))} ms per chart`;
}

/**
 * Bulk push of 10, 100 and 1000 charts: ten times the charts may take at most ten times as long,
 * and from 100 to 1000 at most eight times (per chart, 0.8×: nothing may grow with the refs).
 * Each push goes to an empty registry of its own (see `timePush`); the sizes take turns round by
 * round, so load from other processes falls on all of them alike. The note gives each size's
 * figures per chart, the registry's CPU time among them: on two cores the registry's own work
 * per chart is most of the wall time, and it does not fall with more charts.
 */
export async function scalingCases(ctx: BenchContext): Promise<CaseResult[]> {
  const sizes = [10, 100, 1000];
  const pushes = new Map<number, ScaledPush[]>(sizes.map((count) => [count, []]));
  for (let round = 0; round < ctx.rounds; round++) {
    const order = round % 2 === 0 ? sizes : sizes.toReversed();
    for (const count of order) pushes.get(count)!.push(await timePush(ctx, count, round));
  }
  const times = (count: number) => stats(pushes.get(count)!.map((p) => p.sample));
  return [[10, 100, 1], [100, 1000, 0.8]].map(([small, large, maxRatio]) => {
    const base = times(small);
    const tenfold = { ...base, ms: base.ms * 10, cpuMs: base.cpuMs * 10 };
    const h3 = times(large);
    const registryRatio = median(pushes.get(large)!.map((p) => p.registryCpuMs)) /
      (10 * median(pushes.get(small)!.map((p) => p.registryCpuMs)));
    return judge(
      {
        name: `scaling push ${small}→${large}`,
        h3: `h3 chart push REF×${large}`,
        peer: `10 × h3 chart push REF×${small}`,
        maxRatio,
      },
      { h3, peer: tenfold },
      `CPU time ${(h3.cpuMs / tenfold.cpuMs).toFixed(2)}× ten smaller runs', the registry's ` +
        `${registryRatio.toFixed(2)}×; ${perChart(small, pushes.get(small)!)}; ` +
        perChart(large, pushes.get(large)!),
    );
  });
}
