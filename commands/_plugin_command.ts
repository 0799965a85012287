/**
 * A TypeScript plugin's command as a gunshi command: its declared options become flags (unknown
 * ones refused as for built-ins), positionals and anything after `--` become `ctx.args`.
 * @module
 */
import type { ArgSchema } from "gunshi";
import { define } from "./_define.ts";
import type { KnownPlugin } from "../core/plugin/catalog.ts";
import { findPluginCommand, runPluginCommand } from "../core/plugin/run.ts";
import type { PluginOption, PluginOptionValues } from "../core/plugin/types.ts";
import { debugEnabled } from "./_transport_flags.ts";
import { printError } from "./ui/safe_text.ts";
import { describeWarning } from "./_errors.ts";

/** Loads the plugin and defines its command `name`. */
export async function pluginCommand(known: KnownPlugin, name: string) {
  const command = await findPluginCommand(known, name);
  const options = command.options ?? [];
  const args: Record<string, ArgSchema> = {
    args: { type: "positional", multiple: true, required: false, description: "arguments" },
  };
  for (const option of options) args[option.name] = optionSchema(option);
  return define({
    name,
    description: command.description,
    args,
    run: async (ctx) => {
      const values = ctx.values as Record<string, unknown>;
      const positionals = (values.args as string[] | undefined) ?? [];
      const parsed: PluginOptionValues = {};
      for (const option of options) parsed[option.name] = values[option.name] as never;
      await runPluginCommand(known, command, [...positionals, ...ctx.rest], parsed, {
        onWarning: (message, problem) =>
          printError(`Warning: ${describeWarning(message, problem)}`),
        debug: debugEnabled() ? (line) => printError(line) : undefined,
      });
    },
  });
}

function optionSchema(option: PluginOption): ArgSchema {
  return {
    type: option.type ?? "string",
    short: option.short,
    description: option.description,
    default: option.default,
    required: option.required,
    multiple: option.multiple ? true : undefined,
  } as ArgSchema;
}
