/**
 * h3's command line past `--version` (which main.ts answers alone): builds the lazily loaded
 * command tree, runs a command (without gunshi when its words leave nothing to parse, see
 * `_direct.ts`), and turns any error into one line on stderr and an exit code (a stack trace only
 * with `--debug`).
 * @module
 */
import { LocationError, PartialFailure, RefError, SettingError } from "../core/errors.ts";
import { describeError, UsageError } from "./_errors.ts";
import { entryNamed, type GroupEntry, isGroup, type LazyEntry } from "./_entries.ts";
import { tree } from "./tree.ts";
import { type ExecutableEntry, type PluginCommands, pluginCommands } from "./_plugin_entries.ts";
import { suggest } from "../core/suggest.ts";
import { commandHelp, type HelpSource, treeHelp } from "./_help.ts";
import { runInterrupts } from "../core/interrupt.ts";
import { print, printError, safeLine } from "./ui/safe_text.ts";
import { directStart, runDirect } from "./_direct.ts";

// deno-lint-ignore no-explicit-any
type AnyCommand = any;

/**
 * The exit code for an error that reached the top: 2 for bad input (usage, references, settings, locations), 3 when
 * some of several refs failed (each reported already), 1 for anything else.
 */
function errorExitCode(error: unknown): number {
  if (
    error instanceof UsageError || error instanceof RefError || error instanceof SettingError ||
    error instanceof LocationError
  ) {
    return 2;
  }
  if (error instanceof PartialFailure) return 3;
  return 1;
}

/**
 * gunshi, imported once a command runs: `--version` and the help pages do without it. Its bare
 * parts only (`bone`: no built-in plugins, i18n or renderer), as h3 renders its own help.
 */
type Gunshi =
  & typeof import("gunshi/definition")
  & typeof import("gunshi/bone")
  & typeof import("gunshi/plugin");

async function loadGunshi(): Promise<Gunshi> {
  const [definition, bone, plugin] = await Promise.all([
    import("gunshi/definition"),
    import("gunshi/bone"),
    import("gunshi/plugin"),
  ]);
  return { ...definition, ...bone, ...plugin };
}

function lazyCommand({ lazy }: Gunshi, name: string, entry: LazyEntry): AnyCommand {
  return lazy(async () => (await entry.load()).default as AnyCommand, {
    name,
    description: entry.description,
  });
}

function buildTree(
  gunshi: Gunshi,
  entries: typeof tree,
  executables: Record<string, ExecutableEntry>,
): Record<string, AnyCommand> {
  const commands: Record<string, AnyCommand> = {};
  for (const [name, entry] of Object.entries(entries)) {
    if (isGroup(entry)) {
      const subCommands = Object.fromEntries(
        Object.entries(entry.commands).map(([sub, e]) => [sub, lazyCommand(gunshi, sub, e)]),
      );
      commands[name] = { name, description: entry.description, subCommands };
    } else {
      commands[name] = lazyCommand(gunshi, name, entry);
    }
  }
  for (const [name, entry] of Object.entries(executables)) {
    commands[name] = { name, description: entry.description }; // listed in help; run before gunshi
  }
  return commands;
}

/**
 * `--help`/`-h` on any command: our help page, rendered from the loaded command's definition; and
 * argument errors raised before the command runs. (gunshi's built-in plugins would also claim
 * `--version` on every command, which `chart pull --version RANGE` needs.)
 */
function helpPlugin({ plugin }: Gunshi) {
  return plugin({
    id: "h3:help",
    name: "help",
    extension: (_ctx, command) => ({ command: command as HelpSource }),
    setup(ctx) {
      ctx.addGlobalOption("help", { type: "boolean", short: "h", description: "Show this help" });
      ctx.decorateCommand((run) => (c) => {
        const { command } = c.extensions["h3:help"] as { command: HelpSource };
        if (!c.values.help) {
          if (c.validationError) {
            throw usageFromValidation(c.validationError, c.commandPath) ?? c.validationError;
          }
          if (!c._.includes("--")) { // words after -- are the command's data
            checkStray(c.positionals.slice(c.commandPath.length), command, c.commandPath);
          }
          return run(c);
        }
        print(commandHelp(c.commandPath, command));
        return undefined;
      });
    },
  });
}

/** Refuses positional arguments beyond those the command declares (`h3 env extra`). */
function checkStray(given: string[], command: HelpSource, path: string[]): void {
  const positionals = Object.values(command.args ?? {}).filter((a) => a.type === "positional");
  if (positionals.some((a) => a.multiple)) return;
  const stray = given[positionals.length];
  if (stray !== undefined) {
    throw new UsageError(
      `unexpected argument "${stray}" for "h3 ${path.join(" ")}"; ` +
        `run "h3 ${path.join(" ")} --help" for its usage`,
    );
  }
}

/** Checks the command words before gunshi sees them: unknown ones get a suggestion, groups help. */
function checkCommandWords(args: string[], commands: typeof tree): string[] {
  const words = args.filter((a) => !a.startsWith("-"));
  const [first, second] = words;
  if (first === undefined) return args.length === 0 ? ["--help"] : args;
  const entry = entryNamed(commands, first);
  if (!entry) {
    throw new UsageError(unknown(first, "h3", Object.keys(commands)));
  }
  if (isGroup(entry)) {
    if (second === undefined) return [...args, "--help"];
    if (!entryNamed(entry.commands, second)) {
      throw new UsageError(unknown(second, `h3 ${first}`, Object.keys(entry.commands)));
    }
  }
  return args;
}

/**
 * Starts importing the module of the built-in command `args` name, so that it loads while gunshi
 * does rather than after it (gunshi imports it again, from the module cache, when it runs it).
 */
function preloadCommand(args: string[], commands: typeof tree): void {
  const [first, second] = args.filter((a) => !a.startsWith("-"));
  const entry = first === undefined ? undefined : entryNamed(commands, first);
  const command = entry && isGroup(entry)
    ? second === undefined ? undefined : entryNamed(entry.commands, second)
    : entry;
  command?.load().catch(() => {}); // a failure shows when gunshi imports it
}

function unknown(word: string, parent: string, candidates: string[]): string {
  const close = suggest(word, candidates);
  return `unknown command "${word}" for "${parent}"` +
    (close ? `; did you mean "${close}"?` : `; run "${parent} --help" for the list`);
}

/** One of gunshi's argument validation errors, with its code and values. */
interface ArgProblem {
  message: string;
  code?: string;
  values?: { name?: string; candidates?: string[]; actual?: unknown; expected?: string };
}

/** An argument validation error in h3's words: what is missing or wrong, naming the argument. */
function validationLine(e: ArgProblem, path?: string[]): string {
  const name = e.values?.name;
  const usage = path ? `; run "h3 ${path.join(" ")} --help" for its usage` : "";
  if (e.code === "err:arg:required-positional" && name) {
    return `missing ${name.toUpperCase()}${usage}`;
  }
  if (e.code === "err:arg:invalid-type" && name) {
    const actual = e.values?.actual;
    return actual === undefined || actual === ""
      ? `--${name} needs a value${usage}`
      : `invalid --${name} "${actual}": not a ${e.values?.expected}`;
  }
  const close = name && e.values?.candidates
    ? suggest(`--${name}`, e.values.candidates)
    : undefined;
  const message = e.message.charAt(0).toLowerCase() + e.message.slice(1);
  return message + (close ? `; did you mean "${close}"?` : "");
}

/** Turns gunshi's argument validation errors into one usage line (`path`: the command's words). */
function usageFromValidation(error: unknown, path?: string[]): UsageError | undefined {
  if (!(error instanceof AggregateError)) return undefined;
  const parts = error.errors.map((e: ArgProblem) => validationLine(e, path));
  return new UsageError(parts.join("; ") || error.message);
}

/** The exit code after SIGINT or SIGTERM (128 + SIGINT's number, as shells report Ctrl-C). */
const interruptedExit = 130;

/**
 * Whether SIGINT or SIGTERM arrived: an error the command then ends with (a prompt's read cut
 * short, a transfer stopped) is the interrupt's doing, and its one line is all that is printed.
 */
let interrupted = false;

/**
 * While a command runs, SIGINT and SIGTERM stop it: transfers end with the process, the cleanups
 * core registered run (this process's temp files removed, progress bars erased), one line is
 * printed, and h3 exits with 130.
 */
function stopOnSignals(): Disposable {
  const listeners: [Deno.Signal, () => void][] = [];
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    let stopping = false;
    const listener = () => {
      if (stopping) return;
      stopping = interrupted = true;
      runInterrupts().finally(() => {
        console.error(`Error: interrupted (${signal}); this run's temp files were removed`);
        Deno.exit(interruptedExit);
      });
    };
    try {
      Deno.addSignalListener(signal, listener);
      listeners.push([signal, listener]);
    } catch { /* a signal this platform does not have (SIGTERM on Windows) */ }
  }
  return {
    [Symbol.dispose]() {
      for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
    },
  };
}

/**
 * Reports an error that reached the top: one line on stderr (its stack too with `debug`); returns
 * the exit code.
 */
export function reportError(error: unknown, debug: boolean): number {
  const reported = usageFromValidation(error) ?? error;
  printError(`Error: ${safeLine(describeError(reported))}`);
  if (debug && error instanceof Error && error.stack) printError(error.stack);
  return errorExitCode(reported);
}

/** The part of `entries` that holds the commands `paths` name (`[["chart", "list"]]`), no other. */
function onlyCommands(entries: typeof tree, paths: string[][]): typeof tree {
  const kept: typeof tree = {};
  for (const [name, sub] of paths) {
    const entry = entryNamed(entries, name);
    if (!entry) continue;
    if (!isGroup(entry)) kept[name] = entry;
    else if (sub !== undefined && entryNamed(entry.commands, sub)) {
      const group = kept[name] as GroupEntry | undefined;
      kept[name] = {
        description: entry.description,
        commands: { ...group?.commands, [sub]: entry.commands[sub] },
      };
    }
  }
  return kept;
}

/**
 * Whether `args` name a built-in command other than those `own` names, so that a start file hands
 * them over at once, without reading the plugin catalog (no plugin command is named like one).
 */
function namesOtherBuiltIn(args: string[], own: string[][]): boolean {
  const [first, second] = args.filter((a) => !a.startsWith("-"));
  const entry = first === undefined ? undefined : entryNamed(tree, first);
  if (!entry) return false;
  const path = isGroup(entry) ? [first, second] : [first];
  if (isGroup(entry) && (second === undefined || !entryNamed(entry.commands, second))) {
    return false; // the group's help page, or an unknown sub-command's usage error
  }
  return !own.some((words) => words.join(" ") === path.join(" "));
}

/**
 * Whether {@link runCommandLine} answers `args` with a help page of the tree, a usage error, or a
 * direct start of one of the built-in commands `own` names (`[["chart", "list"]]`): with no
 * plugin's code, no gunshi and no other command's module. It reads the plugin catalog and loads a
 * command of `own` that `args` names (`plugins`: the catalog's commands, when read already), and
 * prints and runs nothing. A bundle's start file holds only that much of h3 and hands any other
 * start to the whole program (scripts/bundle.ts).
 */
export async function answersAlone(
  args: string[],
  own: string[][],
  plugins: PluginCommands = pluginCommands(Object.keys(tree)),
): Promise<boolean> {
  if (namesOtherBuiltIn(args, own) || entryNamed(plugins.executables, args[0])) return false;
  const entries = { ...tree, ...plugins.commands };
  if (treeHelp(args, { ...entries, ...plugins.executables }) !== undefined) return true;
  let words: string[];
  try {
    words = checkCommandWords(args, entries);
  } catch {
    return true; // a usage error, reported from here
  }
  return await directStart(words, onlyCommands(tree, own)) !== undefined;
}

/**
 * Runs h3 with `args` (`--debug` taken out, `help` turned into `--help`); returns the exit code.
 * With `own`, only a start {@link answersAlone} answers: any other returns `undefined`, having run
 * and printed nothing.
 */
export async function runCommandLine(args: string[], debug: boolean): Promise<number>;
export async function runCommandLine(
  args: string[],
  debug: boolean,
  own: string[][],
): Promise<number | undefined>;
export async function runCommandLine(
  args: string[],
  debug: boolean,
  own?: string[][],
): Promise<number | undefined> {
  try {
    if (own && namesOtherBuiltIn(args, own)) return undefined;
    const plugins = pluginCommands(Object.keys(tree));
    if (own && !(await answersAlone(args, own, plugins))) return undefined;
    if (plugins.problem) printError(`Warning: plugins ignored: ${plugins.problem}`);
    const executable = entryNamed(plugins.executables, args[0]);
    if (executable) return await executable.run(args.slice(1));
    const entries = { ...tree, ...plugins.commands };
    const help = treeHelp(args, { ...entries, ...plugins.executables });
    if (help !== undefined) {
      print(help);
      return 0;
    }
    using _signals = stopOnSignals();
    const words = checkCommandWords(args, entries);
    if (await runDirect(words, tree)) return 0; // gunshi only for what needs parsing
    preloadCommand(words, tree);
    const gunshi = await loadGunshi();
    const subCommands = buildTree(gunshi, entries, plugins.executables);
    await gunshi.cli(words, {
      name: "h3",
      description: "Keep Helm charts in OCI registries",
      subCommands,
    }, {
      name: "h3",
      strict: true,
      plugins: [helpPlugin(gunshi)],
      subCommands,
    });
    return 0;
  } catch (error) {
    if (interrupted) return interruptedExit; // the interrupt prints its line and exits
    return reportError(error, debug);
  }
}
