/**
 * Plugin commands for the command tree, from the plugins catalog alone: nothing of a plugin is
 * imported until its command runs.
 * @module
 */
import { pluginsDir } from "../core/paths.ts";
import { readCatalog } from "../core/plugin/catalog.ts";
import type { LazyEntry } from "./_entries.ts";

/** An executable plugin's command: run with the raw arguments, no option parsing. */
export interface ExecutableEntry {
  description: string;
  /** Runs the plugin with the arguments after its name; resolves to its exit code. */
  run(args: string[]): Promise<number>;
}

/** The commands plugins add, and why the installed ones are missing when the manifest is broken. */
export interface PluginCommands {
  /** TypeScript plugin commands, parsed and run like built-ins. */
  commands: Record<string, LazyEntry>;
  /** Executable plugins, by name. */
  executables: Record<string, ExecutableEntry>;
  problem?: string;
}

/** Reads the catalog into tree entries; commands named like a built-in (`reserved`) are left out. */
export function pluginCommands(reserved: string[]): PluginCommands {
  const { plugins, problem } = readCatalog();
  const result: PluginCommands = { commands: {}, executables: {}, problem };
  for (const plugin of plugins) {
    for (const command of plugin.commands) {
      if (reserved.includes(command.name)) continue;
      if (plugin.kind === "executable") {
        result.executables[command.name] = {
          description: command.description,
          run: async (args) => {
            const { runExecutable } = await import("../core/plugin/executable.ts");
            return await runExecutable(`${pluginsDir()}/${plugin.entry}`, args);
          },
        };
      } else {
        result.commands[command.name] = {
          description: command.description,
          load: async () => {
            const { pluginCommand } = await import("./_plugin_command.ts");
            return { default: await pluginCommand(plugin, command.name) };
          },
        };
      }
    }
  }
  return result;
}
