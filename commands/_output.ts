/** The `--output` and `--quiet` flags listing and reporting commands share. @module */
import { outputFormat, printJson } from "./ui/output.ts";
import { print } from "./ui/safe_text.ts";

/** `-o, --output FORMAT` defaulting to the first format; check the value with `outputFormat`. */
export function outputArg(formats: readonly string[]) {
  return {
    type: "string",
    short: "o",
    default: formats[0],
    description: `Output format: ${formats.join(" or ")}`,
  } as const;
}

/** The flags every command that reports what it did has: `--output text|json` and `--quiet`. */
export const reportArgs = {
  output: outputArg(["text", "json"]),
  quiet: { type: "boolean", short: "q", description: "Print nothing but errors" },
} as const;

/** How a reporting command prints: its text lines (none with --quiet or JSON) and its JSON. */
export interface Reporter {
  /** Whether `--output json` was asked for. */
  json: boolean;
  /** Prints a line of the text report (nothing with `--quiet` or `--output json`). */
  print: (line: string) => void;
  /** Prints the JSON result when `--output json` was asked for. */
  result: (value: unknown) => void;
}

/** The reporter for a command's `--output` and `--quiet` values (a bad format: `UsageError`). */
export function reporter(values: { output?: string; quiet?: boolean }): Reporter {
  const json = outputFormat(values.output ?? "text", ["text", "json"]) === "json";
  const silent = json || values.quiet === true;
  return {
    json,
    print: silent ? () => {} : (line) => print(line),
    result: (value) => json && printJson(value),
  };
}
