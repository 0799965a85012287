/**
 * Plugins baked into a bundle or binary. The generated build entry registers them before h3
 * starts, with what the build learned from each (so nothing is imported until it is needed) and a
 * loader that the bundler and `deno compile` resolve at build time.
 * @module
 */
import type { PluginInfo } from "./installed.ts";

/** A baked plugin: its manifest facts and a loader for its module. */
export interface BakedPlugin {
  info: PluginInfo;
  load: () => Promise<{ default: unknown }>;
}

const baked: BakedPlugin[] = [];

/** Registers the plugins a build includes; called once by the generated entry. */
export function bakePlugins(plugins: BakedPlugin[]): void {
  baked.push(...plugins);
}

/** The plugins built into this h3 (none when running from source). */
export function bakedPlugins(): readonly BakedPlugin[] {
  return baked;
}
