/** `definePlugin`: types a plugin object for editors; a plain object works just the same. @module */
import type { H3Plugin } from "./types.ts";

/**
 * Returns `plugin` unchanged, checked against `H3Plugin` by the type checker.
 *
 * @example
 * ```ts
 * import { definePlugin } from "./mod.ts";
 *
 * export default definePlugin({
 *   name: "greet",
 *   version: "1.0.0",
 *   commands: [{ name: "greet", description: "Say hello", run: (ctx) => console.log("hello", ...ctx.args) }],
 * });
 * ```
 */
export function definePlugin<T extends H3Plugin>(plugin: T): T {
  return plugin;
}
