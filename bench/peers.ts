/**
 * Cases against the real Go peers that `scripts/peers.sh` builds, on real registry:2 instances:
 * `chart copy --all-tags` of 150 charts against `skopeo sync`, crane and oras (each over its tag
 * list, and `crane copy --all-tags`); one chart copied against `crane copy` and `oras cp`; one chart
 * pushed and pulled against `helm push` / `helm pull`; and bulk push and pull of 100 charts against
 * the `helm push` / `helm pull` loop a user writes today. The table shows the run's Deno floor
 * beside each ratio: a one-chart h3 run cannot be faster than that.
 * @module
 */
import { connectRepository } from "../core/transport/repository.ts";
import { peer, type PeerName } from "../tests/helpers/peers.ts";
import type { TestRegistry } from "../tests/helpers/registry.ts";
import { pushChartVersion } from "../tests/helpers/remote_charts.ts";
import type { BenchContext } from "./_context.ts";
import { startDelay } from "./_delay.ts";
import { manyFilesPackage, smallChartPackage } from "./_fixtures.ts";
import { compare, runOnce } from "./_measure.ts";
import { type CaseResult, judge } from "./_report.ts";
import { pushHome } from "./transfer.ts";

const allTags = 150;
const bulk = 100;

/** The binary of `name`, or an error saying it is not built. */
function peerPath(name: PeerName): string {
  const found = peer(name);
  if (!found) throw new Error(`${name} is not built (run bash scripts/peers.sh)`);
  return found.path;
}

/** A second registry:2, the destination of copies (mirroring is between registries). */
async function withMirror<T>(
  ctx: BenchContext,
  fn: (mirror: TestRegistry) => Promise<T>,
): Promise<T> {
  await using mirror = await ctx.startRegistry();
  return await fn(mirror);
}

/**
 * `chart copy --all-tags` of a 150-chart repository to another registry, against `skopeo sync`,
 * `crane copy` over `crane ls`, `crane copy --all-tags` and `oras cp` over `oras repo tags`.
 */
export async function copyAllTagsCases(ctx: BenchContext): Promise<CaseResult[]> {
  const { host } = await ctx.registry();
  const src = `${host}/allsrc/app`;
  {
    using repo = connectRepository(src);
    for (let i = 0; i < allTags; i++) {
      await pushChartVersion(repo, { name: "app", version: `1.${i}.0` });
    }
  }
  const [crane, oras] = [peerPath("crane"), peerPath("oras")];
  return await withMirror(ctx, async (mirror) => {
    const home = ctx.home("alltags");
    const dst = (who: string, round: number) => `${mirror.host}/${who}-${round}/app`;
    const h3 = (round: number) =>
      ctx.h3(home, ["chart", "copy", src, `oci://${dst("h3", round)}`, "--all-tags"]);
    const peers: {
      name: string;
      peer: string;
      maxRatio: number;
      lines: (r: number) => string[];
    }[] = [
      {
        name: "skopeo sync",
        peer: "`skopeo sync --src docker --dest docker`",
        maxRatio: 0.5,
        lines: (r) => [
          `skopeo sync --src docker --dest docker --src-tls-verify=false --dest-tls-verify=false ${src} ${mirror.host}/skopeo-${r}`,
        ],
      },
      {
        name: "crane over crane ls",
        peer: "`crane copy` per tag of `crane ls`",
        maxRatio: 1,
        lines: (r) => [
          `for t in $(${crane} ls --insecure ${src}); do`,
          `  ${crane} copy --insecure ${src}:$t ${dst("crane", r)}:$t`,
          "done",
        ],
      },
      {
        name: "crane --all-tags",
        peer: "`crane copy --all-tags`",
        maxRatio: 1,
        lines: (r) => [`${crane} copy --insecure --all-tags ${src} ${dst("craneall", r)}`],
      },
      {
        name: "oras over repo tags",
        peer: "`oras cp` per tag of `oras repo tags`",
        maxRatio: 1,
        lines: (r) => [
          `for t in $(${oras} repo tags --plain-http ${src}); do`,
          `  ${oras} cp --from-plain-http --to-plain-http ${src}:$t ${dst("oras", r)}:$t`,
          "done",
        ],
      },
    ];
    const results: CaseResult[] = [];
    let round = 0;
    for (const p of peers) {
      const measured = await compare(ctx.rounds, async () => {
        const r = round++;
        return {
          h3: h3(r),
          peer: await ctx.shell(home, `alltags-${r}`, p.lines(r)),
        };
      }, { warmUp: false });
      results.push(judge({
        name: `copy --all-tags (${allTags}) vs ${p.name}`,
        h3: `h3 chart copy SRC DST --all-tags`,
        peer: p.peer,
        maxRatio: p.maxRatio,
      }, measured));
    }
    return results;
  });
}

/** One chart: `chart copy` against `crane copy` and `oras cp`; push/pull against helm's. */
export async function oneChartCases(ctx: BenchContext): Promise<CaseResult[]> {
  const { host } = await ctx.registry();
  const src = `${host}/onesrc/app:1.0.0`;
  {
    using repo = connectRepository(`${host}/onesrc/app`);
    await pushChartVersion(repo, { name: "app", version: "1.0.0" });
  }
  const [crane, oras, helm] = [peerPath("crane"), peerPath("oras"), peerPath("helm4")];
  const tgz = `${ctx.work}/one/chart-1-1.0.0.tgz`;
  await Deno.mkdir(`${ctx.work}/one`, { recursive: true });
  await Deno.writeFile(tgz, await smallChartPackage("chart-1", 29_000, 1));
  const home = ctx.home("one");
  const rows: CaseResult[] = [];
  const measure = async (
    spec: { name: string; h3: string; peer: string },
    prepare: (r: number) => Promise<{ h3: string[]; peer: string[] }>,
  ) => {
    let round = 0;
    const measured = await compare(Math.max(ctx.rounds * 2 + 1, 5), async () => {
      const r = round++;
      const sides = await prepare(r);
      return {
        h3: ctx.h3(home, sides.h3),
        peer: await ctx.shell(home, `one-${spec.name.replaceAll(" ", "-")}-${r}`, sides.peer),
      };
    });
    rows.push({ ...judge({ ...spec, maxRatio: Infinity }, measured), goal: "-" });
  };
  await withMirror(ctx, async (mirror) => {
    const dst = (who: string, r: number) => `${mirror.host}/${who}-${r}/app:1.0.0`;
    await measure(
      { name: "copy one chart vs crane", h3: "h3 chart copy SRC DST", peer: "`crane copy`" },
      (r) =>
        Promise.resolve({
          h3: ["chart", "copy", src, dst("h3c", r)],
          peer: [`${crane} copy --insecure ${src} ${dst("crane", r)}`],
        }),
    );
    await measure(
      { name: "copy one chart vs oras", h3: "h3 chart copy SRC DST", peer: "`oras cp`" },
      (r) =>
        Promise.resolve({
          h3: ["chart", "copy", src, dst("h3o", r)],
          peer: [`${oras} cp --from-plain-http --to-plain-http ${src} ${dst("oras", r)}`],
        }),
    );
  });
  await measure(
    { name: "push one chart vs helm", h3: "h3 chart push CHART.tgz oci://…", peer: "`helm push`" },
    (r) =>
      Promise.resolve({
        h3: ["chart", "push", tgz, `oci://${host}/onepush-h3-${r}`],
        peer: [`${helm} push ${tgz} oci://${host}/onepush-helm-${r} --plain-http`],
      }),
  );
  // Helm 3.8+'s publishing step for a chart of many files (dashboards, CRDs): no goal, a watch on
  // how h3 checks an archive (extracted to a temp directory until 08b82c7: ~2 s on ext4).
  const manyTgz = `${ctx.work}/one/many-1.0.0.tgz`;
  await Deno.writeFile(manyTgz, await manyFilesPackage("many", 2000, 1024));
  await measure(
    {
      name: "push 2,000-file chart vs helm",
      h3: "h3 chart push CHART.tgz oci://…",
      peer: "`helm push`",
    },
    (r) =>
      Promise.resolve({
        h3: ["chart", "push", manyTgz, `oci://${host}/onemany-h3-${r}`],
        peer: [`${helm} push ${manyTgz} oci://${host}/onemany-helm-${r} --plain-http`],
      }),
  );
  const pull = (registry: string, label: string) =>
    measure(
      {
        name: `pull one chart vs helm${label}`,
        h3: "h3 chart pull oci://… --version",
        peer: "`helm pull`",
      },
      (r) => {
        const pulled = `oci://${registry}/onepush-h3-0/chart-1`;
        const dir = `${ctx.work}/onepull${label ? "-far" : ""}-${r}`;
        return Promise.resolve({
          h3: ["chart", "pull", pulled, "--version", "1.0.0", "-d", `${dir}/h3`],
          peer: [
            `mkdir -p ${dir}/helm`,
            `${helm} pull ${pulled} --version 1.0.0 --plain-http -d ${dir}/helm`,
          ],
        });
      },
    );
  await pull(host, "");
  // The registry's answers each held 20 ms: what each round trip a command waits for in turn costs.
  await using far = startDelay(host, 20);
  await pull(far.host, ", 20 ms away");
  await measure(
    {
      name: "copy one chart vs crane, 20 ms away",
      h3: "h3 chart copy SRC DST",
      peer: "`crane copy`",
    },
    (r) =>
      Promise.resolve({
        h3: ["chart", "copy", `${far.host}/onesrc/app:1.0.0`, `${far.host}/far-h3-${r}/app:1.0.0`],
        peer: [
          `${crane} copy --insecure ${far.host}/onesrc/app:1.0.0 ${far.host}/far-crane-${r}/app:1.0.0`,
        ],
      }),
  );
  return rows;
}

/**
 * Bulk push and pull of 100 charts: one `h3 chart push` (from the cache) and one `h3 chart pull
 * oci://… --version` (to files, as helm pull writes them) against `helm push` / `helm pull` per chart.
 */
export async function helmBulkCases(ctx: BenchContext): Promise<CaseResult[]> {
  const { host } = await ctx.registry();
  const helm = peerPath("helm4");
  const tgzDir = `${ctx.work}/helm-tgz`;
  await Deno.mkdir(tgzDir, { recursive: true });
  const tgzs: string[] = [];
  for (let k = 0; k < bulk; k++) {
    const file = `${tgzDir}/chart-${k}-1.0.0.tgz`;
    await Deno.writeFile(file, await smallChartPackage(`chart-${k}`, 29_000, k + 1));
    tgzs.push(file);
  }
  const push = await compare(ctx.rounds, async (round) => {
    const { home, refs } = await pushHome(ctx, `helmpush-h3-${round}`, bulk);
    const helmHome = ctx.home(`helmpush-${round}`);
    const loop = tgzs.map((file) =>
      `${helm} push ${file} oci://${host}/helmpush-helm-${round} --plain-http`
    );
    return {
      h3: ctx.h3(home, ["chart", "push", ...refs]),
      peer: await ctx.shell(helmHome, `helm-push-${round}`, [`mkdir -p ${helmHome}`, ...loop]),
    };
  }, { warmUp: false });
  const seed = await pushHome(ctx, "helmpull", bulk);
  await runOnce(ctx.h3(seed.home, ["chart", "push", ...seed.refs]));
  const oci = seed.refs.map((ref) => `oci://${ref.slice(0, ref.lastIndexOf(":"))}`);
  const pull = await compare(ctx.rounds, async (round) => {
    const home = ctx.home(`helmpull-${round}`);
    const loop = oci.map((ref) =>
      `${helm} pull ${ref} --version 1.0.0 --plain-http -d ${home}/helm`
    );
    return {
      h3: ctx.h3(home, ["chart", "pull", ...oci, "--version", "1.0.0", "-d", `${home}/h3`]),
      peer: await ctx.shell(home, `helm-pull-${round}`, [`mkdir -p ${home}/helm`, ...loop]),
    };
  }, { warmUp: false });
  return [
    judge({
      name: `bulk push (${bulk} charts) vs helm`,
      h3: `h3 chart push REF×${bulk}`,
      peer: "`helm push` per chart",
      maxRatio: 0.2,
    }, push),
    judge({
      name: `bulk pull (${bulk} charts) vs helm`,
      h3: `h3 chart pull oci://…×${bulk} --version 1.0.0 -d DIR`,
      peer: "`helm pull` per chart",
      maxRatio: 0.2,
    }, pull),
  ].map((row) => ({ ...row }));
}
