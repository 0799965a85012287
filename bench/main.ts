/**
 * `deno task bench [--rounds N] [--only CASE,...]`: builds the bundle into its work directory,
 * starts its own registry:2, runs every case side by side with its peer (median of N rounds,
 * interleaved), prints the table of ratios with peak memory, and writes it to
 * `bench/results.json`. Cases: startup, path, list, save, many, push, pull, big, scaling, the
 * 10,000-ref push10k, pull10k and copy10k, and against the Go peers of scripts/peers.sh: copy,
 * one, helm.
 * @module
 */
import { parseTaskArgs } from "../scripts/_task_args.ts";
import { BenchContext } from "./_context.ts";
import { hasGnuTime, runOnce, stats } from "./_measure.ts";
import { type CaseResult, failed, markdown, table } from "./_report.ts";
import { archiveCase } from "./archive.ts";
import { listCase } from "./list.ts";
import { copyRefsCase, pullRefsCase, pushRefsCase } from "./refs.ts";
import { copyAllTagsCases, helmBulkCases, oneChartCases } from "./peers.ts";
import { manyFilesCases, saveCase } from "./save.ts";
import { startPathCase, startupCases } from "./startup.ts";
import { bigPullCase, bulkPullCase, bulkPushCase, scalingCases } from "./transfer.ts";

const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

type Case = (ctx: BenchContext) => Promise<CaseResult | CaseResult[]>;

/** Every case, by the name `--only` takes, with what it is called when it cannot run. */
const cases: Record<string, { run: Case; spec: { name: string; h3: string; peer: string } }> = {
  startup: { run: startupCases, spec: { name: "start-up", h3: "h3 --version", peer: "deno" } },
  path: {
    run: (ctx) => startPathCase(ctx, root),
    spec: { name: "start path", h3: "h3 --version", peer: "-" },
  },
  list: { run: listCase, spec: { name: "list", h3: "h3 chart list", peer: "python3" } },
  save: { run: saveCase, spec: { name: "save", h3: "h3 chart save", peer: "tar | sha256sum" } },
  many: {
    run: manyFilesCases,
    spec: { name: "many files", h3: "h3 chart save/export", peer: "tar" },
  },
  push: { run: bulkPushCase, spec: { name: "bulk push", h3: "h3 chart push", peer: "skopeo" } },
  pull: { run: bulkPullCase, spec: { name: "bulk pull", h3: "h3 chart pull", peer: "skopeo" } },
  big: { run: bigPullCase, spec: { name: "big blob pull", h3: "h3 chart pull", peer: "curl" } },
  scaling: { run: scalingCases, spec: { name: "scaling", h3: "h3 chart push", peer: "itself" } },
  push10k: {
    run: pushRefsCase,
    spec: { name: "push 10,000 refs", h3: "h3 chart push", peer: "10 × 1,000 refs" },
  },
  pull10k: {
    run: pullRefsCase,
    spec: { name: "pull 10,000 refs", h3: "h3 chart pull", peer: "10 × 1,000 refs" },
  },
  copy10k: {
    run: copyRefsCase,
    spec: { name: "copy 10,000 refs", h3: "h3 chart copy --all-tags", peer: "10 × 1,000 refs" },
  },
  copy: {
    run: copyAllTagsCases,
    spec: { name: "copy --all-tags", h3: "h3 chart copy --all-tags", peer: "skopeo, crane, oras" },
  },
  archive: {
    run: archiveCase,
    spec: { name: "archive", h3: "h3 chart copy oci-archive:…", peer: "skopeo" },
  },
  one: {
    run: oneChartCases,
    spec: { name: "one chart", h3: "h3 chart copy/push/pull", peer: "crane, oras, helm" },
  },
  helm: {
    run: helmBulkCases,
    spec: { name: "bulk vs helm", h3: "h3 chart push/pull", peer: "helm push/pull per chart" },
  },
};

/**
 * Builds the bundle into `dir`, outside any Deno project, as a user unpacks the release's: a bundle
 * under h3's checkout (`dist/`) has Deno read the checkout's deno.json and deno.lock and set up
 * npm resolution at every start, ~2 ms of CPU that no installed h3 pays.
 */
async function bundle(dir: string): Promise<string> {
  const output = `${dir}/h3.js`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "bundle", "--output", output],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`deno task bundle failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
  return output;
}

async function denoVersion(): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), { args: ["--version"], stdout: "piped" })
    .output();
  return new TextDecoder().decode(out.stdout).split("\n")[0];
}

/** The Deno floor of this run: median wall time of `deno run` of an empty script (9 runs). */
async function denoFloor(ctx: BenchContext): Promise<number> {
  const empty = `${ctx.work}/floor.js`;
  await Deno.writeTextFile(empty, "");
  const samples = [];
  for (let i = 0; i < 9; i++) samples.push(await runOnce(ctx.deno(ctx.work, empty)));
  return stats(samples).ms;
}

/**
 * What creating a file costs in the work directory now, µs a file: 500 new files of 1 KiB with
 * `writeFileSync`, in a folder of their own, left there until the bench ends (a deletion is what
 * makes creations slow). ~10-40 µs where the file system is warm; 300-2,000 µs on an ext4 without
 * a journal for minutes after thousands of deletions (docs/performance.md, "Many small files, and
 * the file system"), which every case that writes files then meets, h3's and its peer's alike.
 */
function fileCreationUs(work: string, label: string): number {
  const dir = `${work}/file-creation-${label}`;
  Deno.mkdirSync(dir);
  const bytes = new Uint8Array(1024);
  const start = performance.now();
  for (let i = 0; i < 500; i++) Deno.writeFileSync(`${dir}/${i}`, bytes);
  return (performance.now() - start) * 1000 / 500;
}

const resultsFile = `${root}/bench/results.json`;

/** The last file's rows to keep beside `fresh`: of cases that exist and did not run now. */
export function keptRows(last: CaseResult[], fresh: CaseResult[]): CaseResult[] {
  const ran = new Set(fresh.map((r) => r.case));
  return last.filter((old) =>
    old.case !== undefined && old.case in cases && !ran.has(old.case) &&
    !fresh.some((r) => r.name === old.name)
  );
}

/**
 * Writes `bench/results.json`: this run's rows, and from the last file the rows of cases this run
 * left out (`--only`) that still exist, each row with the time it was measured. A case that ran
 * replaces all its old rows (a failure row of a case that now runs goes).
 */
async function saveResults(
  results: CaseResult[],
  rounds: number,
  floorMs: number,
  registryDir: string | undefined,
  creationUs: number[],
): Promise<void> {
  const date = new Date().toISOString();
  const fresh = results.map((r) => ({ ...r, date, floorMs: Math.round(floorMs) }));
  const last = JSON.parse(await Deno.readTextFile(resultsFile).catch(() => "{}"));
  const kept = keptRows(last.results ?? [], fresh);
  const order = (r: CaseResult) => Object.keys(cases).indexOf(r.case ?? "");
  const report = {
    date,
    deno: await denoVersion(),
    cpus: navigator.hardwareConcurrency,
    rounds,
    denoFloorMs: Math.round(floorMs),
    registryStorage: registryDir ?? "temp dir",
    fileCreationUs: creationUs.map(Math.round), // before the cases, after them
    results: [...kept, ...fresh].sort((a, b) => order(a) - order(b)),
  };
  await Deno.writeTextFile(resultsFile, JSON.stringify(report, null, 2) + "\n");
}

if (import.meta.main) {
  const usage = `usage: deno task bench [--rounds N] [--only ${Object.keys(cases).join(",")}] ` +
    "[--markdown]";
  const values = parseTaskArgs(Deno.args, {
    rounds: { type: "string", default: "3" },
    only: { type: "string" },
    markdown: { type: "boolean" },
  }, usage);
  const rounds = Number(values.rounds);
  const only = values.only?.split(",") ?? Object.keys(cases);
  const unknown = only.filter((name) => !(name in cases));
  if (!Number.isInteger(rounds) || rounds < 1 || unknown.length) {
    console.error(usage);
    Deno.exit(2);
  }
  if (!(await hasGnuTime())) {
    console.error("the bench needs GNU time for peak memory: apt-get install time");
    Deno.exit(1);
  }
  const work = await Deno.makeTempDir({ prefix: "h3-bench-" });
  console.error(`building the bundle into ${work}/h3/ (deno task bundle --output)…`);
  await using ctx = new BenchContext(await bundle(`${work}/h3`), work, rounds);
  const creation = [fileCreationUs(work, "before")];
  const results: CaseResult[] = [];
  for (const name of only) {
    const { run, spec } = cases[name];
    console.error(`${name}…`);
    const started = performance.now();
    try {
      results.push(...[await run(ctx)].flat().map((r) => ({ ...r, case: name })));
    } catch (error) {
      results.push({ ...failed(spec, error), case: name });
    }
    console.error(`${name}: ${Math.round((performance.now() - started) / 1000)} s`);
  }
  const floor = await denoFloor(ctx);
  creation.push(fileCreationUs(work, "after"));
  console.log(`Deno floor (deno run of an empty script): ${Math.round(floor)} ms`);
  console.log(
    `File creation in ${work} (1 KiB, writeFileSync): ` +
      creation.map((us) => `${Math.round(us)} µs`).join(" before the cases, ") + " after",
  );
  console.log(`Registry storage: ${ctx.registryDir ?? Deno.env.get("TMPDIR") ?? "/tmp"}`);
  console.log(values.markdown ? markdown(results, floor) : table(results, floor));
  await saveResults(results, rounds, floor, ctx.registryDir, creation);
  if (results.some((r) => !r.pass)) Deno.exitCode = 1;
}
