/**
 * Completions for what a user has typed so far, for the shell scripts `h3 completion SHELL`
 * prints (they call `h3 completion complete -- WORDS...` on each TAB). Commands and sub-commands
 * come from the command tree (plugins included), flags from the one command being typed (only its
 * module is loaded), and REF arguments from the local cache's index.
 * @module
 */
import { type Command, RootCommand, ShellCompDirective } from "@bomb.sh/tab";
import { openCache } from "../core/cache/layout.ts";
import { pluginCommands } from "./_plugin_entries.ts";
import { entryNamed, type GroupEntry, isGroup, type LazyEntry } from "./_entries.ts";

/** The shells `h3 completion` writes scripts for. */
export const shells = ["bash", "zsh", "fish", "powershell"] as const;

/** A shell `h3 completion` writes scripts for. */
export type Shell = typeof shells[number];

/** The hidden word after `h3 completion` that the scripts use to ask for completions. */
export const completeWord = "complete";

/** The part of a gunshi argument definition completion reads. */
interface ArgDef {
  type: string;
  short?: string;
  description?: string;
  multiple?: boolean;
  choices?: readonly string[];
}

type Emit = (value: string, description: string) => void;

/** What positional arguments complete to: the cache's refs, and a way to ask for directories. */
interface Sources {
  refs: string[];
  directories: () => void;
}

/**
 * Prints the completions for `words` (the words after `h3`, the last one being completed, "" when
 * the cursor follows a space) on stdout, in the format the scripts read: `value\tdescription`
 * lines, then `:DIRECTIVE`.
 */
export async function printCompletions(
  words: string[],
  tree: Record<string, GroupEntry | LazyEntry>,
): Promise<void> {
  const plugins = pluginCommands(Object.keys(tree));
  const entries: Record<string, GroupEntry | LazyEntry> = { ...tree, ...plugins.commands };
  const root = new RootCommand();
  addCommonFlags(root).option("version", "Print h3's version", "v");
  for (const [name, entry] of Object.entries(entries)) {
    addCommonFlags(root.command(name, entry.description));
    if (!isGroup(entry)) continue;
    for (const [sub, e] of Object.entries(entry.commands)) {
      addCommonFlags(root.command(`${name} ${sub}`, e.description));
    }
  }
  for (const [name, entry] of Object.entries(plugins?.executables ?? {})) {
    root.command(name, entry.description);
  }

  // tab ends every answer with "no file completion"; a directory argument asks for directories.
  let directive = ShellCompDirective.ShellCompDirectiveNoFileComp;
  Object.defineProperty(root, "directive", { get: () => directive, set: () => {} });
  const sources: Sources = {
    refs: await cachedRefs(),
    directories: () => directive = ShellCompDirective.ShellCompDirectiveFilterDirs,
  };
  const typed = typedCommand(entries, words);
  if (typed) await addArgs(root.commands.get(typed.path)!, typed.entry, sources);
  root.parse([...words]);
}

function addCommonFlags<C extends Command>(command: C): C {
  command.option("help", "Show help for the command", "h");
  command.option("debug", "Print a stack trace when a command fails");
  return command;
}

/** The built-in or plugin command the words name (`chart push`, `env`), if any. */
function typedCommand(
  entries: Record<string, GroupEntry | LazyEntry>,
  words: string[],
): { path: string; entry: LazyEntry } | undefined {
  const [first, second] = words.slice(0, -1).filter((w) => !w.startsWith("-"));
  const entry = first === undefined ? undefined : entryNamed(entries, first);
  if (!entry) return undefined;
  if (!isGroup(entry)) return { path: first, entry };
  const sub = second === undefined ? undefined : entryNamed(entry.commands, second);
  return sub && { path: `${first} ${second}`, entry: sub };
}

/** Adds a command's flags and positional arguments, loading only that command's module. */
async function addArgs(command: Command, entry: LazyEntry, sources: Sources): Promise<void> {
  let args: Record<string, ArgDef>;
  try {
    args = ((await entry.load()).default as { args?: Record<string, ArgDef> }).args ?? {};
  } catch {
    return; // a command that cannot load completes its name only
  }
  for (const [name, def] of Object.entries(args)) {
    if (def.type === "positional") {
      command.argument(name, valueCompleter(name, sources), def.multiple ?? false);
    } else if (def.type === "boolean") {
      command.option(name, def.description ?? "", def.short);
    } else {
      const choices = def.choices;
      const values = choices ? (emit: Emit) => choices.forEach((c) => emit(c, "")) : undefined;
      command.option(
        name,
        def.description ?? "",
        values ?? valueCompleter(name, sources),
        def.short,
      );
    }
  }
}

/** What an argument or a flag's value completes to, by its name. */
function valueCompleter(name: string, sources: Sources): (emit: Emit) => void {
  const once = (values: string[], emit: Emit) => new Set(values).forEach((v) => emit(v, ""));
  return (emit) => {
    if (/ref/i.test(name)) once(sources.refs, emit);
    else if (/^(registry|host|server)$/i.test(name)) {
      once(sources.refs.map((ref) => ref.split("/")[0]), emit);
    } else if (name === "shell") shells.forEach((shell) => emit(shell, `${shell} script`));
    else if (/^(path|dir|directory|destination)$/i.test(name)) sources.directories();
  };
}

/** The refs in the local cache's index; none when it cannot be read. */
async function cachedRefs(): Promise<string[]> {
  try {
    using cache = await openCache();
    return (await cache.entries()).map((entry) => entry.ref);
  } catch {
    return [];
  }
}
