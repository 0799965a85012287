/**
 * h3's command line: `--version` is answered here, with nothing else loaded; everything else
 * (the command tree, running commands, errors turned into messages and exit codes) is
 * `commands/_cli.ts`, imported when needed.
 * @module
 */
import { builtCommit, version } from "./core/version.ts";
import { print } from "./commands/ui/safe_text.ts";

/** `h3 help [COMMAND...]` is `h3 [COMMAND...] --help`. */
function helpAlias(args: string[]): string[] {
  return args[0] === "help" ? [...args.slice(1), "--help"] : args;
}

/**
 * Runs `main(Deno.args)` from a microtask, off this module's body: when an error is thrown with a
 * module's body on the stack, V8 re-reads the whole module for source positions, ~10 ms for the
 * one-file bundle (build entries call this too).
 */
export function runMain(): Promise<number> {
  return Promise.resolve().then(() => main(Deno.args));
}

/** Runs h3 with `argv` and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const end = argv.includes("--") ? argv.indexOf("--") : argv.length; // words after -- are data
  const args = helpAlias([
    ...argv.slice(0, end).filter((a) => a !== "--debug"),
    ...argv.slice(end),
  ]);
  const debug = argv.slice(0, end).includes("--debug") || Deno.env.get("H3_DEBUG") === "1";
  if (args[0] === "--version" || args[0] === "-v") {
    try {
      print(`h3 ${version} (commit ${await builtCommit()})`);
      return 0;
    } catch (error) {
      return (await import("./commands/_cli.ts")).reportError(error, debug);
    }
  }
  const { runCommandLine } = await import("./commands/_cli.ts");
  return await runCommandLine(args, debug);
}

if (import.meta.main) {
  Deno.exitCode = await runMain();
}
