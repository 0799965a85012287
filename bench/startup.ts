/**
 * Start-up cases: `h3 --version`, `h3 --help` and the first command (`chart list` on an empty
 * cache), from the bundle and from source, against `deno run` of an empty script, and what the
 * start path loads.
 * @module
 */
import type { BenchContext } from "./_context.ts";
import { compare, perRun, repeated } from "./_measure.ts";
import { type CaseResult, judge } from "./_report.ts";
import { bundleStartPath, packages, sourceStartPath, type StartPath } from "./_start_path.ts";

const floor = "`deno run` of an empty script";

/**
 * Runs per sample and samples per side for cases that take a tenth of a second: each sample is
 * five runs in a row, so a load spike from another process lands on a part of a sample, and the
 * samples of both sides alternate.
 */
const runsPerSample = 5;

/**
 * Samples per side: 13 at the default 3 rounds. On these shared machines the median of 7 moved by
 * ±0.1× between runs a minute apart (`--version` 0.97× then 1.13×), as much as the goals' margins.
 */
function samples(ctx: BenchContext): number {
  return Math.max(ctx.rounds * 4 + 1, 13);
}

/** Scripts importing mod.ts, as a library user writes them: its version, and its `list()`. */
const libraryScripts = {
  version: `import { version } from "MOD";\nconsole.log(version);\n`,
  list: `import { list } from "MOD";\nconsole.log((await list()).length);\n`,
};

/**
 * `--version`, `--help` and `chart list` on an empty cache from the bundle, `--version` and
 * `chart list` from source, and a script importing mod.ts for its version and for `list()`, each
 * against the Deno floor.
 */
export async function startupCases(ctx: BenchContext): Promise<CaseResult[]> {
  const empty = `${ctx.work}/empty.js`;
  await Deno.writeTextFile(empty, "");
  const home = ctx.home("startup");
  const results: CaseResult[] = [];
  const bundle = (args: string[]) => ctx.h3(home, args);
  const source = (args: string[]) => ctx.source(home, args);
  const mod = new URL("../mod.ts", import.meta.url).href;
  const library = (args: string[]) => ctx.library(home, `${ctx.work}/library-${args[0]}.ts`);
  for (const [name, code] of Object.entries(libraryScripts)) {
    await Deno.writeTextFile(`${ctx.work}/library-${name}.ts`, code.replace("MOD", mod));
  }
  for (
    const [name, args, maxRatio, program] of [
      ["start-up --version", ["--version"], 1.15, bundle],
      ["start-up --help", ["--help"], 1.15, bundle],
      ["first command", ["chart", "list"], 1.4, bundle],
      ["source --version", ["--version"], 1.4, source],
      ["source chart list", ["chart", "list"], 1.8, source],
      ["library version", ["version"], 1.4, library],
      ["library list", ["list"], 1.8, library],
    ] as const
  ) {
    const measured = await compare(samples(ctx), () => ({
      h3: repeated(program([...args]), runsPerSample),
      peer: repeated(ctx.deno(home, empty), runsPerSample),
    }));
    const command = program === library
      ? `deno run of a script: mod.ts's ${args[0]}${args[0] === "list" ? "()" : ""}`
      : `${program === source ? "deno task h3" : "h3"} ${args.join(" ")}`;
    const spec = { name, h3: command, peer: floor, maxRatio };
    const h3 = perRun(measured.h3, runsPerSample);
    const peer = perRun(measured.peer, runsPerSample);
    const note = `CPU time ${(h3.cpuMs / peer.cpuMs).toFixed(2)}× the floor's`;
    results.push(judge(spec, { h3, peer }, note));
  }
  return results;
}

function describe(path: StartPath): string {
  // A minified bundle has no module markers left: then its size and files are what it tells.
  const modules = path.modules.length ? `${path.modules.length} modules` : "";
  const files = path.files ? `${path.files} file${path.files > 1 ? "s" : ""}` : "";
  const kib = path.bytes ? ` (${Math.round(path.bytes / 1024)} KiB)` : "";
  const parts = [
    [modules, files].filter(Boolean).join(" in ") + kib,
    ...(path.modules.length ? [`npm: ${packages(path.modules).join(", ") || "none"}`] : []),
    `node built-ins: ${path.builtins.join(", ") || "none"}`,
  ];
  if (path.heavy.length) {
    parts.push(`heavy: ${path.heavy.length} (${packages(path.heavy).join(", ") || "local"})`);
  }
  return parts.join("; ");
}

/**
 * The start path check: nothing heavy and no Node built-in is loaded before `--version`/`--help`
 * print, neither from source (the static imports of main.ts and of the command line) nor in the bundle (files read at start).
 */
export async function startPathCase(ctx: BenchContext, root: string): Promise<CaseResult> {
  // main.ts answers --version; --help imports the command line (commands/_cli.ts) too
  const [main, cli] = await Promise.all(
    ["main.ts", "commands/_cli.ts"].map((entry) => sourceStartPath(root, entry)),
  );
  const union = (a: string[], b: string[]) => [...new Set([...a, ...b])].sort();
  const source: StartPath = {
    modules: union(main.modules, cli.modules),
    builtins: union(main.builtins, cli.builtins),
    heavy: union(main.heavy, cli.heavy),
  };
  const bundle = await bundleStartPath(ctx.bundle);
  const clean = (p: StartPath) => p.heavy.length === 0 && p.builtins.length === 0;
  return {
    name: "start path",
    h3: "h3 --version / --help",
    peer: "-",
    goal: "no tar/yaml/registry code, no node: built-ins",
    pass: clean(source) && clean(bundle),
    note: `source: ${describe(source)} | bundle: ${describe(bundle)}`,
  };
}
