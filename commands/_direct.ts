/**
 * Running a built-in command without gunshi when its words leave nothing to parse (`h3 chart list`,
 * `h3 env`, `h3 chart remove REF...`): loading and running gunshi costs more than such a command's
 * own work. Only argv that gunshi would resolve one way qualifies: no option and no `--`, and plain
 * words that fill the command's declared positionals in order (or none, when none is required). The
 * values come from the command's own definition, by gunshi's rules for what is not given (an
 * option's or positional's `default`); anything else (an option, a `parse`, a required option, a
 * word too many or too few) returns `undefined`, and gunshi parses and reports it.
 * @module
 */

import { entryNamed, type GroupEntry, isGroup, type LazyEntry } from "./_entries.ts";

/** The parts of an argument's definition (gunshi's `ArgSchema`) these rules read. */
export interface DirectArg {
  type: string;
  default?: unknown;
  required?: boolean;
  multiple?: boolean;
  parse?: unknown;
}

/** What a command's `run` gets from a direct start: the fields of gunshi's context h3 reads. */
export interface DirectContext {
  name: string;
  commandPath: string[];
  values: Record<string, unknown>;
  explicit: Record<string, boolean>;
  positionals: string[];
  rest: string[];
  _: string[];
}

/** Whether a positional must be given (gunshi: `required`, else a single one without a default). */
function positionalRequired(arg: DirectArg): boolean {
  if (arg.multiple) return arg.required === true;
  return arg.required ?? arg.default == null;
}

/**
 * The values gunshi resolves for `args` from the plain `words` after the command's name, or
 * `undefined` when they are not that simple (gunshi then parses them).
 */
export function directValues(
  args: Record<string, DirectArg>,
  words: string[],
): { values: Record<string, unknown>; explicit: Record<string, boolean> } | undefined {
  if (words.some((w) => w.startsWith("-"))) return undefined;
  const entries = Object.entries(args);
  if (entries.some(([, a]) => a.parse !== undefined || (a.type !== "positional" && a.required))) {
    return undefined;
  }
  const positionals = entries.filter(([, a]) => a.type === "positional");
  const values: Record<string, unknown> = {};
  const explicit: Record<string, boolean> = {};
  for (const [name, arg] of entries) {
    explicit[name] = false;
    if (arg.default != null && !(arg.type === "positional" && arg.multiple)) {
      values[name] = arg.default; // what is not given (gunshi: a multiple positional has none)
    }
  }
  if (words.length === 0) {
    return positionals.some(([, a]) => positionalRequired(a)) ? undefined : { values, explicit };
  }
  if (positionals.length === 1 && positionals[0][1].multiple) {
    values[positionals[0][0]] = words;
  } else if (
    words.length === positionals.length && positionals.every(([, a]) => !a.multiple)
  ) {
    positionals.forEach(([name], i) => values[name] = words[i]);
  } else {
    return undefined;
  }
  for (const [name] of positionals) explicit[name] = true;
  return { values, explicit };
}

/** The parts of a command's definition (gunshi's `Command`) a direct start uses. */
export interface DirectCommand {
  args?: Record<string, DirectArg>;
  run: (ctx: DirectContext) => unknown;
}

/** A built-in command ready to run without gunshi: its definition and what its `run` gets. */
export interface DirectStart {
  definition: DirectCommand;
  context: DirectContext;
}

/**
 * The direct start of the built-in command `words` name (command words first, no options) when its
 * arguments are that simple, else `undefined` (gunshi must parse them). Loads the command's module
 * when `commands` has it; runs nothing.
 */
export async function directStart(
  words: string[],
  commands: Record<string, GroupEntry | LazyEntry>,
): Promise<DirectStart | undefined> {
  if (words.some((w) => w.startsWith("-"))) return undefined;
  const entry = entryNamed(commands, words[0] ?? "");
  const depth = entry && isGroup(entry) ? 2 : 1;
  const command = entry && isGroup(entry) ? entryNamed(entry.commands, words[1] ?? "") : entry;
  if (!command) return undefined;
  const definition = (await command.load()).default as DirectCommand;
  const resolved = directValues(definition.args ?? {}, words.slice(depth));
  if (!resolved) return undefined;
  const commandPath = words.slice(0, depth);
  return {
    definition,
    context: {
      name: commandPath[depth - 1],
      commandPath,
      ...resolved,
      positionals: words,
      rest: [],
      _: words,
    },
  };
}

/**
 * Runs the built-in command `words` name (command words first, no options) when its arguments are
 * that simple; resolves to `false`, having run nothing, when gunshi must parse them.
 */
export async function runDirect(
  words: string[],
  commands: Record<string, GroupEntry | LazyEntry>,
): Promise<boolean> {
  const start = await directStart(words, commands);
  if (!start) return false;
  await start.definition.run(start.context);
  return true;
}
