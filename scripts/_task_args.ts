/**
 * The command line of a `deno task` script (bundle, compile, bench): `--help` prints the usage, an
 * unknown or malformed option is one line and the usage on stderr with exit code 2, not
 * `parseArgs`' stack trace.
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { firstLine } from "../core/errors.ts";

/** What `parseArgs` makes of `args` by `options`. */
type Values<T extends ParseArgsConfig["options"]> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T }>
>["values"];

/** Parses `args` by `options`; exits on `--help`/`-h` (0) or a usage error (2), printing `usage`. */
export function parseTaskArgs<T extends NonNullable<ParseArgsConfig["options"]>>(
  args: string[],
  options: T,
  usage: string,
): Values<T> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: { ...options, help: { type: "boolean", short: "h" } },
    }));
  } catch (error) {
    console.error(`${firstLine(error)}\n${usage}`);
    Deno.exit(2);
  }
  if ((values as { help?: boolean }).help) {
    console.log(usage);
    Deno.exit(0);
  }
  return values as Values<T>;
}
