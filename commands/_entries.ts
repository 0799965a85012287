/**
 * The shape of the command tree: lazily loaded commands and groups of them. Commands that need the
 * tree (completion, plugin add) are given it by `tree.ts`, never import it back.
 * @module
 */

/** A command whose definition is loaded from its own module on use. */
export interface LazyEntry {
  description: string;
  load: () => Promise<{ default: unknown }>;
}

/** A command group (`chart`, `registry`, `plugin`) with its sub-commands. */
export interface GroupEntry {
  description: string;
  commands: Record<string, LazyEntry>;
}

/**
 * The entry `name` names in `entries`, if it is one of theirs: a word typed on the command line
 * (`constructor`, `toString`) never reaches what every object inherits.
 */
export function entryNamed<T>(entries: Record<string, T>, name: string): T | undefined {
  return Object.hasOwn(entries, name) ? entries[name] : undefined;
}

/** Whether an entry is a group of commands rather than a command. */
export function isGroup(entry: GroupEntry | LazyEntry): entry is GroupEntry {
  return "commands" in entry;
}
