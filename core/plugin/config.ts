/** The paths a plugin is told about (`ctx.config`, and the second argument of `credentials`). @module */
import { cacheDir, dockerConfigDir, helmHome, pluginsDir } from "../paths.ts";
import type { KnownPlugin } from "./catalog.ts";
import type { PluginConfig } from "./types.ts";

/** h3's paths, and the plugin's own directory when it is installed from files. */
export function pluginConfig(known: KnownPlugin): PluginConfig {
  const dir = pluginsDir();
  const installedFromFiles = !known.builtIn && !known.entry.startsWith("npm:");
  return {
    helmHome: helmHome(),
    cacheDir: cacheDir(),
    pluginsDir: dir,
    dockerConfigDir: dockerConfigDir(),
    pluginDir: installedFromFiles ? `${dir}/${known.entry.split("/")[0]}` : undefined,
  };
}
