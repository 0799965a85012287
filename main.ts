/**
 * h3's command line: `--version` is answered here, with nothing else loaded; everything else
 * (the command tree, running commands, errors turned into messages and exit codes) is
 * `commands/_cli.ts`, imported when needed. A bundle starts with `startMain`, which runs only the
 * starts its start file holds the code for.
 * @module
 */
import { builtCommit, version } from "./core/version.ts";
import { print } from "./commands/ui/safe_text.ts";

/** The words that ask for h3's version (`h3 --version`, `h3 -v`). */
export const versionFlags: readonly string[] = ["--version", "-v"];

/** What `h3 --version` prints for a build of `commit`. */
export function versionLine(commit: string): string {
  return `h3 ${version} (commit ${commit})`;
}

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
  return (await run(argv))!;
}

/**
 * Runs h3 as a bundle's start file does (scripts/bundle.ts), whose code is this module, the command
 * line and the built-in commands `own` names (`[["chart", "list"]]`): runs `Deno.args` when that is
 * enough (`--version`, help pages, usage errors, a direct start of one of `own`) and returns the exit
 * code; else returns `undefined` having printed nothing, for the whole program to run them.
 */
export function startMain(own: string[][]): Promise<number | undefined> {
  return Promise.resolve().then(() => run(Deno.args, own));
}

/** Runs h3 with `argv`; with `own`, only when {@link startMain} may (else `undefined`). */
async function run(argv: string[], own?: string[][]): Promise<number | undefined> {
  const end = argv.includes("--") ? argv.indexOf("--") : argv.length; // words after -- are data
  const args = helpAlias([
    ...argv.slice(0, end).filter((a) => a !== "--debug"),
    ...argv.slice(end),
  ]);
  const debug = argv.slice(0, end).includes("--debug") || Deno.env.get("H3_DEBUG") === "1";
  if (versionFlags.includes(args[0])) {
    try {
      print(versionLine(await builtCommit()));
      return 0;
    } catch (error) {
      return (await import("./commands/_cli.ts")).reportError(error, debug);
    }
  }
  const { runCommandLine } = await import("./commands/_cli.ts");
  return own ? await runCommandLine(args, debug, own) : await runCommandLine(args, debug);
}

if (import.meta.main) {
  Deno.exitCode = await runMain();
}
