/**
 * Checks that a module's default export is a usable TypeScript plugin, with errors that name the
 * plugin source and the field at fault.
 * @module
 */
import semver from "semver";
import { PluginError } from "../errors.ts";
import type { H3Plugin, PluginOption } from "./types.ts";
import type { PluginInfo } from "./installed.ts";

/** Names of plugins and of their commands. */
export const namePattern: RegExp = /^[a-z0-9-]+$/;
const optionPattern = /^[a-z][a-z0-9-]*$/;
const optionTypes = new Set(["string", "boolean", "number"]);

/** Throws unless `version` is SemVer. */
export function checkVersion(version: unknown, source: string): asserts version is string {
  if (typeof version !== "string" || version === "") {
    throw new PluginError(`plugin ${source} has no version`);
  }
  if (!semver.valid(version)) {
    throw new PluginError(`plugin ${source} has an invalid version "${version}" (SemVer expected)`);
  }
}

/** Returns the module's default export as a plugin, or throws a PluginError saying what is wrong. */
export function validatePlugin(module: { default?: unknown }, source: string): H3Plugin {
  const plugin = module.default;
  if (plugin === undefined) throw new PluginError(`plugin ${source} has no default export`);
  if (typeof plugin !== "object" || plugin === null || Array.isArray(plugin)) {
    throw new PluginError(`plugin ${source}: the default export must be a plain object`);
  }
  const p = plugin as Record<string, unknown>;
  if (typeof p.name !== "string" || p.name === "") {
    throw new PluginError(`plugin ${source} has no name`);
  }
  if (!namePattern.test(p.name)) {
    throw new PluginError(
      `plugin ${source} has an invalid name "${p.name}" (lowercase letters, digits and '-' only)`,
    );
  }
  const where = `"${p.name}" (${source})`;
  checkVersion(p.version, where);
  if (p.description !== undefined && typeof p.description !== "string") {
    throw new PluginError(`plugin ${where}: description must be a string`);
  }
  if (p.credentials !== undefined && typeof p.credentials !== "function") {
    throw new PluginError(`plugin ${where}: credentials must be a function`);
  }
  if (p.commands !== undefined && !Array.isArray(p.commands)) {
    throw new PluginError(`plugin ${where}: commands must be a list`);
  }
  const commands = (p.commands ?? []) as unknown[];
  if (commands.length === 0 && p.credentials === undefined) {
    throw new PluginError(`plugin ${where} offers no commands and no credentials`);
  }
  const seen = new Set<string>();
  for (const command of commands) {
    const name = checkCommand(command, where);
    if (seen.has(name)) throw new PluginError(`plugin ${where} declares command "${name}" twice`);
    seen.add(name);
  }
  return plugin as H3Plugin;
}

/** The manifest's facts about a checked TypeScript plugin whose module is at `entry`. */
export function typescriptInfo(plugin: H3Plugin, entry: string): PluginInfo {
  return {
    name: plugin.name,
    version: plugin.version,
    kind: "typescript",
    description: plugin.description ?? "",
    commands: (plugin.commands ?? []).map((c) => ({ name: c.name, description: c.description })),
    credentials: typeof plugin.credentials === "function",
    entry,
  };
}

function checkCommand(command: unknown, where: string): string {
  const c = command as Record<string, unknown>;
  if (typeof c !== "object" || c === null || typeof c.name !== "string") {
    throw new PluginError(`plugin ${where}: a command has no name`);
  }
  if (!namePattern.test(c.name)) {
    throw new PluginError(
      `plugin ${where}: invalid command name "${c.name}" (lowercase letters, digits and '-' only)`,
    );
  }
  const at = `plugin ${where}, command "${c.name}"`;
  if (typeof c.description !== "string") throw new PluginError(`${at}: description missing`);
  if (typeof c.run !== "function") throw new PluginError(`${at}: run must be a function`);
  if (c.options !== undefined && !Array.isArray(c.options)) {
    throw new PluginError(`${at}: options must be a list`);
  }
  const names = new Set<string>(["help", "version", "args"]);
  const shorts = new Set<string>(["h", "v"]);
  for (const option of (c.options ?? []) as PluginOption[]) {
    if (typeof option?.name !== "string" || !optionPattern.test(option.name)) {
      throw new PluginError(`${at}: invalid option name "${option?.name}"`);
    }
    if (names.has(option.name)) {
      throw new PluginError(`${at}: option "--${option.name}" is reserved or declared twice`);
    }
    names.add(option.name);
    if (option.type !== undefined && !optionTypes.has(option.type)) {
      throw new PluginError(
        `${at}: option "--${option.name}" has type "${option.type}" (string, boolean or number)`,
      );
    }
    if (option.short !== undefined) {
      if (!/^[a-zA-Z]$/.test(option.short) || shorts.has(option.short)) {
        throw new PluginError(
          `${at}: option "--${option.name}" has an invalid, reserved or repeated short "-${option.short}"`,
        );
      }
      shorts.add(option.short);
    }
  }
  return c.name;
}
