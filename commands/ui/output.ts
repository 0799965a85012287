/**
 * Output rules every command follows: results on stdout, progress and diagnostics on stderr,
 * colour only on a terminal and never with `NO_COLOR`, progress bars only on a terminal outside
 * CI, `--output json` as indented JSON.
 * @module
 */
import { UsageError } from "../_errors.ts";
import { safeJson } from "./safe_text.ts";

/** A stream h3 may write to: stdout or stderr. */
export type OutStream = typeof Deno.stdout | typeof Deno.stderr;

/** Whether colour may be used on a stream: it is a terminal and `NO_COLOR` is unset or empty. */
export function colorEnabled(stream: OutStream = Deno.stdout): boolean {
  return !Deno.env.get("NO_COLOR") && stream.isTerminal();
}

/** Whether live progress (bars, redrawn lines) may be drawn: colour rules, and not under `CI`. */
export function progressEnabled(stream: OutStream = Deno.stderr): boolean {
  return colorEnabled(stream) && !Deno.env.get("CI");
}

const styles = { bold: 1, dim: 2, red: 31, green: 32, yellow: 33 } as const;

/** A style `paint` knows. */
export type Style = keyof typeof styles;

/** `text` in a style when the stream takes colour, else `text` unchanged. */
export function paint(text: string, style: Style, stream: OutStream = Deno.stdout): string {
  return colorEnabled(stream) ? `\x1b[${styles[style]}m${text}\x1b[0m` : text;
}

/** Checks an `--output` value against the formats a command supports and returns it. */
export function outputFormat<const F extends string>(value: string, formats: readonly F[]): F {
  if ((formats as readonly string[]).includes(value)) return value as F;
  throw new UsageError(`invalid --output "${value}": use ${formats.join(" or ")}`);
}

/** Prints a result as indented JSON on stdout (the shape `--output json` documents). */
export function printJson(value: unknown): void {
  console.log(safeJson(JSON.stringify(value, null, 2)));
}
