/**
 * Every plugin this h3 knows: the ones baked into the build, then the installed ones from the
 * manifest. Cheap enough for every start: one small JSON file, no plugin imported.
 * @module
 */
import { pluginsDir } from "../paths.ts";
import { bakedPlugins } from "./baked.ts";
import { type PluginInfo, readInstalled } from "./installed.ts";

/** A plugin as h3 knows it: its manifest facts, and whether it is built in. */
export interface KnownPlugin extends PluginInfo {
  builtIn: boolean;
}

/** The known plugins and, when the manifest could not be read, why (the built-ins still work). */
export interface Catalog {
  plugins: KnownPlugin[];
  problem?: string;
}

/** Reads the catalog; never throws, so a broken manifest breaks no command. */
export function readCatalog(dir: string = pluginsDir()): Catalog {
  const plugins: KnownPlugin[] = bakedPlugins().map((b) => ({ ...b.info, builtIn: true }));
  try {
    for (const info of readInstalled(dir)) plugins.push({ ...info, builtIn: false });
    return { plugins };
  } catch (error) {
    return { plugins, problem: (error as Error).message };
  }
}

/** The plugin that adds command `name`, if any. */
export function commandOwner(plugins: KnownPlugin[], name: string): KnownPlugin | undefined {
  return plugins.find((p) => p.commands.some((c) => c.name === name));
}
