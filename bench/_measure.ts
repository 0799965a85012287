/**
 * Timing and memory of one program run: wall time measured here, peak RSS and CPU time from
 * GNU time (`/usr/bin/time -f`), and interleaved side-by-side runs of two programs so that load
 * from other processes falls on both alike.
 * @module
 */

/** A program to run: its argv, and where and with what environment. */
export interface Program {
  argv: string[];
  env?: Record<string, string>;
  cwd?: string;
}

/** One run's figures. */
export interface Sample {
  /** Wall time, milliseconds. */
  ms: number;
  /** User + system CPU time, milliseconds. */
  cpuMs: number;
  /** Peak resident set size, KiB (the largest of the process and its children). */
  rssKiB: number;
}

/** Median and peak figures of several runs. */
export interface Stats {
  /** Median wall time, milliseconds. */
  ms: number;
  /** Median CPU time, milliseconds. */
  cpuMs: number;
  /** The highest peak RSS of all runs, KiB. */
  rssKiB: number;
  /** Every run's wall time, in run order. */
  runs: number[];
}

const gnuTime = "/usr/bin/time";

/** Whether GNU time is installed (peak RSS needs it). */
export async function hasGnuTime(): Promise<boolean> {
  return (await Deno.stat(gnuTime).catch(() => undefined))?.isFile === true;
}

/**
 * Runs `program` once with stdout discarded; throws with its stderr when it fails. Setup that must
 * not be timed belongs in the caller, before this.
 */
export async function runOnce(program: Program): Promise<Sample> {
  const report = await Deno.makeTempFile({ prefix: "h3-bench-time-" });
  try {
    const [command, ...args] = [gnuTime, "-q", "-f", "%e %U %S %M", "-o", report, ...program.argv];
    const start = performance.now();
    const out = await new Deno.Command(command, {
      args,
      cwd: program.cwd,
      env: program.env,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    const ms = performance.now() - start;
    if (!out.success) {
      const stderr = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-5).join("\n");
      const argv = program.argv.length > 8
        ? [...program.argv.slice(0, 8), `… (${program.argv.length - 8} more)`]
        : program.argv;
      throw new Error(`${argv.join(" ")} exited with ${out.code}:\n${stderr}`);
    }
    const [, user, sys, rss] = (await Deno.readTextFile(report)).trim().split(/\s+/).map(Number);
    return { ms, cpuMs: (user + sys) * 1000, rssKiB: rss };
  } finally {
    await Deno.remove(report).catch(() => {});
  }
}

/** `program` run `times` times in a row by one shell: one sample spans several short runs. */
export function repeated(program: Program, times: number): Program {
  const loop = `for i in $(seq ${times}); do "$@" >/dev/null; done`;
  return { ...program, argv: ["sh", "-e", "-c", loop, "sh", ...program.argv] };
}

/** Figures of repeated runs (see `repeated`) brought back to one run. */
export function perRun(stats: Stats, times: number): Stats {
  return {
    ms: stats.ms / times,
    cpuMs: stats.cpuMs / times,
    rssKiB: stats.rssKiB,
    runs: stats.runs.map((ms) => Math.round(ms / times)),
  };
}

/** Flushes the file system's dirty pages (`sync`). */
export async function sync(): Promise<void> {
  await new Deno.Command("sync").output();
}

/** The median of some numbers. */
export function median(values: number[]): number {
  const sorted = values.toSorted((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Median and peak figures of `samples`. */
export function stats(samples: Sample[]): Stats {
  return {
    ms: median(samples.map((s) => s.ms)),
    cpuMs: median(samples.map((s) => s.cpuMs)),
    rssKiB: Math.max(...samples.map((s) => s.rssKiB)),
    runs: samples.map((s) => Math.round(s.ms)),
  };
}

/** The two sides of a comparison, prepared afresh for each round (fresh caches, new repos). */
export interface Round {
  h3: Program;
  peer: Program;
}

/** How a comparison runs besides its programs. */
export interface CompareOptions {
  /** One untimed run of each side first (file system caches, Deno's code cache); default true. */
  warmUp?: boolean;
  /** Untimed, before every run: e.g. delete what the last run wrote and `sync`. */
  settle?: () => Promise<void>;
}

/**
 * Runs both sides `rounds` times, alternating which goes first. `prepare(i)` builds round `i`'s
 * programs (i = -1 for the warm-up); its own time is not counted.
 */
export async function compare(
  rounds: number,
  prepare: (round: number) => Promise<Round> | Round,
  options: CompareOptions = {},
): Promise<{ h3: Stats; peer: Stats }> {
  const run = async (program: Program) => {
    await options.settle?.();
    return await runOnce(program);
  };
  if (options.warmUp ?? true) {
    const warm = await prepare(-1);
    await run(warm.h3);
    await run(warm.peer);
  }
  const h3: Sample[] = [];
  const peer: Sample[] = [];
  for (let i = 0; i < rounds; i++) {
    const round = await prepare(i);
    if (i % 2 === 0) {
      h3.push(await run(round.h3));
      peer.push(await run(round.peer));
    } else {
      peer.push(await run(round.peer));
      h3.push(await run(round.h3));
    }
  }
  return { h3: stats(h3), peer: stats(peer) };
}
