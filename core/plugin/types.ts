/**
 * What a TypeScript plugin is: a module whose default export is a plain object naming itself and
 * offering commands and/or credentials. Plugins need no import to work; these types are for
 * editors (`mod.ts` exports them with `definePlugin`).
 * @module
 */
import type { Credential } from "../auth/types.ts";
import type { H3 } from "../h3.ts";

/** Where h3 keeps its files, as a plugin sees them. */
export interface PluginConfig {
  /** `$HELM_HOME`, else `~/.helm`. */
  helmHome: string;
  /** The chart cache, an OCI image layout. */
  cacheDir: string;
  /** Where plugins are installed. */
  pluginsDir: string;
  /** Docker's config directory. */
  dockerConfigDir: string;
  /** The plugin's own installed directory; undefined for built-in and npm plugins. */
  pluginDir?: string;
}

/** One option a plugin command declares: `--name VALUE` (or a flag for booleans). */
export interface PluginOption {
  /** Long name without dashes, `[a-z][a-z0-9-]*`. */
  name: string;
  /** Value type; default `string`. */
  type?: "string" | "boolean" | "number";
  /** One-letter alias (`-x`). */
  short?: string;
  /** Shown in `--help`. */
  description?: string;
  /** The value when the option is not given. */
  default?: string | boolean | number;
  /** Whether the option must be given. */
  required?: boolean;
  /** Whether the option may repeat; its value is then an array. */
  multiple?: boolean;
}

/** Values of a command's declared options, by name. */
export type PluginOptionValues = Record<
  string,
  string | boolean | number | string[] | number[] | boolean[] | undefined
>;

/** What a plugin command's `run` receives. */
export interface PluginContext {
  /** Positional arguments after the command name (and any after `--`). */
  args: string[];
  /** Parsed values of the declared options. */
  options: PluginOptionValues;
  /**
   * An h3 client, as `openH3()` gives a script: every chart operation of the CLI (save, push,
   * pull, list, tags, ...), the cache, registry repositories and `copy`. Closed after `run`.
   */
  h3: H3;
  /** Where h3 keeps its files. */
  config: PluginConfig;
}

/** A command a plugin adds: `h3 NAME ARGS...`. */
export interface PluginCommand {
  /** Command name, `[a-z0-9-]+`; must not clash with a built-in command. */
  name: string;
  /** One line shown in `h3 --help`. */
  description: string;
  /** Declared options, parsed (and unknown ones refused) as for built-in commands. */
  options?: PluginOption[];
  /** Does the work; a thrown error is shown as one `Error: ...` line, like a built-in's. */
  run(ctx: PluginContext): void | Promise<void>;
}

/** Custom auth: credentials for a registry host[:port], or undefined when the host is not ours. */
export type PluginCredentials = (
  registry: string,
  context: { config: PluginConfig },
) => Credential | undefined | Promise<Credential | undefined>;

/** A TypeScript plugin: the default export of its module. */
export interface H3Plugin {
  /** Plugin name, `[a-z0-9-]+`. */
  name: string;
  /** SemVer version, e.g. `1.2.3`. */
  version: string;
  /** One line shown by `h3 plugin list`. */
  description?: string;
  /** Commands the plugin adds. */
  commands?: PluginCommand[];
  /** Credentials it supplies; asked before the Docker config, never written anywhere. */
  credentials?: PluginCredentials;
}
