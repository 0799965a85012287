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

/** Whether an entry is a group of commands rather than a command. */
export function isGroup(entry: GroupEntry | LazyEntry): entry is GroupEntry {
  return "commands" in entry;
}
