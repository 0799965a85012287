/**
 * h3's command line: builds the lazily loaded command tree, runs it, and turns any error into one
 * line on stderr and an exit code (a stack trace only with `--debug`).
 * @module
 */
import { cli, lazy } from "gunshi";
import { errorExitCode, errorMessage, ExitCode, UsageError } from "./core/errors.ts";
import { isGroup, type LazyEntry, tree } from "./commands/tree.ts";
import { suggest } from "./core/ui/suggest.ts";
import denoJson from "./deno.json" with { type: "json" };

// deno-lint-ignore no-explicit-any
type AnyCommand = any;

function lazyCommand(name: string, entry: LazyEntry): AnyCommand {
  return lazy(async () => (await entry.load()).default as AnyCommand, {
    name,
    description: entry.description,
  });
}

function buildTree(): Record<string, AnyCommand> {
  const commands: Record<string, AnyCommand> = {};
  for (const [name, entry] of Object.entries(tree)) {
    if (isGroup(entry)) {
      const subCommands = Object.fromEntries(
        Object.entries(entry.commands).map(([sub, e]) => [sub, lazyCommand(sub, e)]),
      );
      commands[name] = { name, description: entry.description, subCommands };
    } else {
      commands[name] = lazyCommand(name, entry);
    }
  }
  return commands;
}

/** Checks the command words before gunshi sees them: unknown ones get a suggestion, groups help. */
function checkCommandWords(args: string[]): string[] {
  const words = args.filter((a) => !a.startsWith("-"));
  const [first, second] = words;
  if (first === undefined) return args.length === 0 ? ["--help"] : args;
  const entry = tree[first];
  if (!entry) {
    throw new UsageError(unknown(first, "h3", Object.keys(tree)));
  }
  if (isGroup(entry)) {
    if (second === undefined) return [...args, "--help"];
    if (!entry.commands[second]) {
      throw new UsageError(unknown(second, `h3 ${first}`, Object.keys(entry.commands)));
    }
  }
  return args;
}

function unknown(word: string, parent: string, candidates: string[]): string {
  const close = suggest(word, candidates);
  return `unknown command "${word}" for "${parent}"` +
    (close ? `; did you mean "${close}"?` : `; run "${parent} --help" for the list`);
}

/** Turns gunshi's argument validation errors into one usage line. */
function usageFromValidation(error: unknown): UsageError | undefined {
  if (!(error instanceof AggregateError)) return undefined;
  const parts = error.errors.map(
    (e: { message: string; values?: { name?: string; candidates?: string[] } }) => {
      const close = e.values?.name && e.values.candidates
        ? suggest(`--${e.values.name}`, e.values.candidates)
        : undefined;
      return e.message + (close ? `; did you mean "${close}"?` : "");
    },
  );
  return new UsageError(parts.join("; ") || error.message);
}

async function main(argv: string[]): Promise<number> {
  const args = argv.filter((a) => a !== "--debug");
  const debug = args.length !== argv.length || Deno.env.get("H3_DEBUG") === "1";
  try {
    const subCommands = buildTree();
    await cli(checkCommandWords(args), {
      name: "h3",
      description: "Keep Helm charts in OCI registries",
      subCommands,
    }, {
      name: "h3",
      version: denoJson.version,
      strict: true,
      renderHeader: null,
      renderValidationErrors: null,
      subCommands,
    });
    return ExitCode.ok;
  } catch (error) {
    const reported = usageFromValidation(error) ?? error;
    console.error(`Error: ${errorMessage(reported)}`);
    if (debug && error instanceof Error && error.stack) console.error(error.stack);
    return errorExitCode(reported);
  }
}

if (import.meta.main) {
  Deno.exitCode = await main(Deno.args);
}
