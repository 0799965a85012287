/**
 * Bench results: one row per case (h3 against its peer, the ratio of median wall times, peak
 * memory, the goal and whether it was met), printed as a table and written as JSON.
 * @module
 */
import type { Stats } from "./_measure.ts";

/** What a case is and what it must reach. */
export interface CaseSpec {
  /** Short name, e.g. `start-up --version`. */
  name: string;
  /** What h3 ran. */
  h3: string;
  /** What it was measured against. */
  peer: string;
  /** The highest ratio h3/peer allowed. */
  maxRatio: number;
  /** The highest peak RSS allowed for h3, MiB. */
  maxRssMiB?: number;
}

/** One row of the results. */
export interface CaseResult {
  /** The bench case it belongs to (`--only` name), set by the bench. */
  case?: string;
  name: string;
  h3: string;
  peer: string;
  /** The goal as text: `≤ 1.2×`, `≤ 1.3×, peak RSS ≤ 256 MiB`. */
  goal: string;
  /** Median wall times, ms. */
  h3Ms?: number;
  peerMs?: number;
  /** h3Ms / peerMs. */
  ratio?: number;
  /** Median CPU (user + system) times, ms. */
  h3CpuMs?: number;
  peerCpuMs?: number;
  /** Peak RSS over all runs, MiB. */
  h3RssMiB?: number;
  peerRssMiB?: number;
  /** Every run's wall time, ms. */
  h3Runs?: number[];
  peerRuns?: number[];
  pass: boolean;
  /** Why it failed to run, or what else was seen. */
  note?: string;
  /** The Deno floor of the run that measured it, ms (set in `bench/results.json`). */
  floorMs?: number;
}

function goalText(spec: CaseSpec): string {
  return `≤ ${spec.maxRatio}×` + (spec.maxRssMiB ? `, peak RSS ≤ ${spec.maxRssMiB} MiB` : "");
}

const mib = (kib: number) => Math.round((kib / 1024) * 10) / 10;
const round = (n: number, digits = 0) => Math.round(n * 10 ** digits) / 10 ** digits;

/** A row from measured figures, judged against the spec. */
export function judge(
  spec: CaseSpec,
  measured: { h3: Stats; peer: Stats },
  note?: string,
): CaseResult {
  const ratio = measured.h3.ms / measured.peer.ms;
  const rss = mib(measured.h3.rssKiB);
  const pass = ratio <= spec.maxRatio && (spec.maxRssMiB === undefined || rss <= spec.maxRssMiB);
  return {
    name: spec.name,
    h3: spec.h3,
    peer: spec.peer,
    goal: goalText(spec),
    h3Ms: round(measured.h3.ms),
    peerMs: round(measured.peer.ms),
    ratio: round(ratio, 3),
    h3CpuMs: round(measured.h3.cpuMs),
    peerCpuMs: round(measured.peer.cpuMs),
    h3RssMiB: rss,
    peerRssMiB: mib(measured.peer.rssKiB),
    h3Runs: measured.h3.runs,
    peerRuns: measured.peer.runs,
    pass,
    note,
  };
}

/** A row for a case that could not run: a failure, with the reason. */
export function failed(
  what: { name: string; h3: string; peer: string },
  error: unknown,
): CaseResult {
  const message = error instanceof Error ? error.message : String(error);
  return {
    ...what,
    goal: "-",
    pass: false,
    note: `error: ${message}`,
  };
}

/** pass, FAIL, or info for a row measured without a goal (goal "-"). */
function verdict(r: CaseResult): string {
  if (!r.pass) return "FAIL";
  return r.goal === "-" ? "info" : "pass";
}

function ms(value: number | undefined): string {
  if (value === undefined) return "-";
  return value >= 10_000 ? `${round(value / 1000, 1)} s` : `${Math.round(value)} ms`;
}

/** The results as an aligned text table, with the run's Deno floor beside each ratio, and notes. */
export function table(results: CaseResult[], floorMs: number): string {
  const rows = [
    ["case", "h3", "peer", "ratio", "Deno floor", "goal", "h3 peak RSS", "result"],
    ...results.map((r) => [
      r.name,
      ms(r.h3Ms),
      ms(r.peerMs),
      r.ratio === undefined ? "-" : `${r.ratio.toFixed(2)}×`,
      ms(floorMs),
      r.goal,
      r.h3RssMiB === undefined ? "-" : `${r.h3RssMiB} MiB`,
      verdict(r),
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const lines = rows.map((row) =>
    row.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd()
  );
  const notes = results.filter((r) => r.note).map((r) => `  ${r.name}: ${r.note}`);
  return [...lines, ...(notes.length ? ["", "notes:", ...notes] : [])].join("\n");
}

/** The results as a Markdown table (for docs/performance.md), the Deno floor beside each ratio. */
export function markdown(results: CaseResult[], floorMs: number): string {
  const cell = (text: string) => text.replaceAll("|", "\\|"); // a pipe in a cell ends it
  const lines = [
    "| case | h3 | measured against | h3 median | peer median | ratio | Deno floor | goal | h3 peak RSS | result |",
    "| --- | --- | --- | ---: | ---: | ---: | ---: | --- | ---: | --- |",
    ...results.map((r) =>
      `| ${r.name} | \`${cell(r.h3)}\` | ${cell(r.peer)} | ${ms(r.h3Ms)} | ${ms(r.peerMs)} | ${
        r.ratio === undefined ? "-" : `${r.ratio.toFixed(2)}×`
      } | ${ms(r.floorMs ?? floorMs)} | ${r.goal} | ${
        r.h3RssMiB === undefined ? "-" : `${r.h3RssMiB} MiB`
      } | ${r.pass ? verdict(r) : "**fail**"} |`
    ),
  ];
  const notes = results.filter((r) => r.note).map((r) => `- ${r.name}: ${cell(r.note!)}`);
  return [...lines, ...(notes.length ? ["", ...notes] : [])].join("\n");
}
