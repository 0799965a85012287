/** Running a TypeScript plugin's command with its context: args, options, h3's library, paths. @module */
import { PluginError } from "../errors.ts";
import type { H3Options } from "../h3.ts";
import type { KnownPlugin } from "./catalog.ts";
import { pluginConfig } from "./config.ts";
import { loadPlugin } from "./load.ts";
import type { PluginCommand, PluginOptionValues } from "./types.ts";

/** Loads the plugin and finds command `name` in it. */
export async function findPluginCommand(known: KnownPlugin, name: string): Promise<PluginCommand> {
  const plugin = await loadPlugin(known);
  const command = plugin.commands?.find((c) => c.name === name);
  if (!command) {
    throw new PluginError(
      `plugin "${known.name}" no longer has the command "${name}"; add the plugin again`,
    );
  }
  return command;
}

/**
 * Runs `command` of `known` with `ctx.h3` opened with `h3Options` (the CLI's warnings and debug
 * lines); whatever it throws reaches the caller unchanged.
 */
export async function runPluginCommand(
  known: KnownPlugin,
  command: PluginCommand,
  args: string[],
  options: PluginOptionValues,
  h3Options: H3Options = {},
): Promise<void> {
  const { openH3 } = await import("../client.ts");
  await using h3 = await openH3(h3Options);
  await command.run({ args, options, h3, config: pluginConfig(known) });
}
