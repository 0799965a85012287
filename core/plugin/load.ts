/**
 * Imports a TypeScript plugin when it is needed (its command runs, or credentials are asked for),
 * once per process, and checks it is still the plugin the manifest describes.
 * @module
 */
import { firstLine, PluginChangedError, PluginError } from "../errors.ts";
import { digestOf } from "../oci/descriptor.ts";
import { pluginsDir } from "../paths.ts";
import { bakedPlugins } from "./baked.ts";
import type { KnownPlugin } from "./catalog.ts";
import type { H3Plugin } from "./types.ts";
import { validatePlugin } from "./validate.ts";

/**
 * The specifier an entry is imported by: `npm:` as is, a path made absolute as a file URL. (The
 * `node:` modules load here, on use: at start they would cost every command.)
 */
export async function entrySpecifier(entry: string, dir: string = pluginsDir()): Promise<string> {
  if (entry.startsWith("npm:")) return entry;
  const [{ isAbsolute }, { pathToFileURL }] = await Promise.all([
    import("node:path"),
    import("node:url"),
  ]);
  return pathToFileURL(isAbsolute(entry) ? entry : `${dir}/${entry}`).href;
}

/** sha256 (hex) of a file's bytes. */
export async function fileSha256(path: string): Promise<string> {
  return (await digestOf(await Deno.readFile(path))).slice("sha256:".length);
}

/**
 * Refuses an installed plugin whose module is not the one that was added (its sha256 differs); a
 * module that is gone is left to the import to report.
 */
async function checkUnchanged(known: KnownPlugin, dir: string): Promise<void> {
  if (!known.sha256 || known.entry.startsWith("npm:")) return;
  const file = `${dir}/${known.entry}`;
  const actual = await fileSha256(file).catch(() => undefined);
  if (actual !== undefined && actual !== known.sha256) {
    throw new PluginChangedError({ plugin: known.name, file, actual, expected: known.sha256 });
  }
}

/** Imports `specifier` and returns its validated plugin; errors name the source. */
export async function importPlugin(specifier: string, source: string): Promise<H3Plugin> {
  let module: { default?: unknown };
  try {
    module = await import(specifier);
  } catch (error) {
    throw new PluginError(`plugin ${source} failed to load: ${firstLine(error)}`, {
      cause: error,
      // a compiled h3 imports only the TypeScript plugins built into it
      remedy: Deno.build.standalone ? { kind: "compiledPlugins", source } : undefined,
    });
  }
  return validatePlugin(module, source);
}

const loaded = new Map<string, Promise<H3Plugin>>();

/** The module of a known TypeScript plugin, imported on first use. */
export async function loadPlugin(
  known: KnownPlugin,
  dir: string = pluginsDir(),
): Promise<H3Plugin> {
  const key = known.builtIn ? `baked:${known.name}` : await entrySpecifier(known.entry, dir);
  let plugin = loaded.get(key);
  if (!plugin) {
    plugin = known.builtIn
      ? loadBaked(known)
      : checkUnchanged(known, dir).then(() => importPlugin(key, `"${known.name}" (${key})`));
    loaded.set(key, plugin);
  }
  return await plugin;
}

async function loadBaked(known: KnownPlugin): Promise<H3Plugin> {
  const baked = bakedPlugins().find((b) => b.info.name === known.name);
  if (!baked) throw new PluginError(`plugin "${known.name}" is not built into this h3`);
  return validatePlugin(await baked.load(), `"${known.name}" (built in)`);
}
