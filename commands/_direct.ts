/**
 * Running a built-in command without gunshi when its words leave little to parse (`h3 chart list`,
 * `h3 env`, `h3 chart remove REF...`, `h3 chart export REF -d DIR`): loading and running gunshi
 * costs more than such a command's own work. Only argv that gunshi would resolve one way
 * qualifies: plain words that fill the command's declared positionals in order (or none, when none
 * is required), and among them, at most once each, the command's own string options as `--name
 * VALUE`, `--name=VALUE` or `-s VALUE` (a value that does not start with "-") and its boolean
 * options as `--name` or `-s`. The values come from the command's own definition, by gunshi's
 * rules for what is not given (an option's or positional's `default`); anything else (`--`, any
 * other option or form of one, a `parse`, a required option, a word too many or too few) returns
 * `undefined`, and gunshi parses and reports it.
 * @module
 */

import { entryNamed, type GroupEntry, isGroup, type LazyEntry } from "./_entries.ts";

/** The parts of an argument's definition (gunshi's `ArgSchema`) these rules read. */
export interface DirectArg {
  type: string;
  short?: string;
  default?: unknown;
  required?: boolean;
  multiple?: boolean;
  parse?: unknown;
  toKebab?: boolean;
  conflicts?: unknown;
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

/** `--name` or `--name=VALUE`; `-s`. */
const longOption = /^--([a-z][a-z0-9-]*)(?:=(.+))?$/;
const shortOption = /^-([a-zA-Z])$/;

/**
 * The options among `words` that are simple (see the module doc) by the name of their argument,
 * and the other words; undefined when a word that starts with "-" is not such an option.
 */
function splitOptions(
  args: [string, DirectArg][],
  words: string[],
): { options: Map<string, string | true>; plain: string[] } | undefined {
  const options = new Map<string, string | true>();
  const plain: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (!word.startsWith("-")) {
      plain.push(word);
      continue;
    }
    const long = longOption.exec(word);
    const short = long ? undefined : shortOption.exec(word);
    const found = args.find(([name, arg]) =>
      arg.type !== "positional" && (long ? name === long[1] : arg.short === short?.[1])
    );
    if (!found || options.has(found[0]) || found[1].multiple) return undefined;
    const [name, arg] = found;
    if (arg.type === "boolean" && long?.[2] === undefined) options.set(name, true);
    else if (arg.type === "string") {
      const value = long?.[2] ?? words[++i];
      if (value === undefined || value === "" || value.startsWith("-")) return undefined;
      options.set(name, value);
    } else return undefined;
  }
  return { options, plain };
}

/**
 * The values gunshi resolves for `args` from `words` (after the command's name), or `undefined`
 * when they are not that simple (gunshi then parses them); `plain`: the words that are not options.
 */
export function directValues(
  args: Record<string, DirectArg>,
  words: string[],
):
  | { values: Record<string, unknown>; explicit: Record<string, boolean>; plain: string[] }
  | undefined {
  const entries = Object.entries(args);
  if (
    entries.some(([, a]) =>
      a.parse !== undefined || (a.type !== "positional" && a.required) || a.toKebab ||
      a.conflicts !== undefined
    )
  ) {
    return undefined;
  }
  const split = splitOptions(entries, words);
  if (!split) return undefined;
  const { options, plain } = split;
  const positionals = entries.filter(([, a]) => a.type === "positional");
  const values: Record<string, unknown> = {};
  const explicit: Record<string, boolean> = {};
  for (const [name, arg] of entries) {
    explicit[name] = options.has(name);
    if (options.has(name)) values[name] = options.get(name);
    else if (arg.default != null && !(arg.type === "positional" && arg.multiple)) {
      values[name] = arg.default; // what is not given (gunshi: a multiple positional has none)
    }
  }
  if (plain.length === 0) {
    return positionals.some(([, a]) => positionalRequired(a))
      ? undefined
      : { values, explicit, plain };
  }
  if (positionals.length === 1 && positionals[0][1].multiple) {
    values[positionals[0][0]] = plain;
  } else if (
    plain.length === positionals.length && positionals.every(([, a]) => !a.multiple)
  ) {
    positionals.forEach(([name], i) => values[name] = plain[i]);
  } else {
    return undefined;
  }
  for (const [name] of positionals) explicit[name] = true;
  return { values, explicit, plain };
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
 * The direct start of the built-in command `words` name (command words first) when its
 * arguments are that simple, else `undefined` (gunshi must parse them). Loads the command's module
 * when `commands` has it; runs nothing.
 */
export async function directStart(
  words: string[],
  commands: Record<string, GroupEntry | LazyEntry>,
): Promise<DirectStart | undefined> {
  const entry = entryNamed(commands, words[0] ?? "");
  const depth = entry && isGroup(entry) ? 2 : 1;
  const command = entry && isGroup(entry) ? entryNamed(entry.commands, words[1] ?? "") : entry;
  if (!command) return undefined;
  const definition = (await command.load()).default as DirectCommand;
  const resolved = directValues(definition.args ?? {}, words.slice(depth));
  if (!resolved) return undefined;
  const commandPath = words.slice(0, depth);
  const { values, explicit, plain } = resolved;
  return {
    definition,
    context: {
      name: commandPath[depth - 1],
      commandPath,
      values,
      explicit,
      positionals: [...commandPath, ...plain],
      rest: [],
      _: words,
    },
  };
}

/**
 * Runs the built-in command `words` name (command words first) when its arguments are
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
