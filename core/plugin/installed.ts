/**
 * The plugins manifest, `plugins.json` in the plugins directory: what each installed plugin is
 * called, offers and where its entry is, so h3 knows plugin commands without importing any plugin.
 * Read at every start, so it stays one small JSON file and this module imports nothing heavy.
 * @module
 */
import { withLock } from "../cache/lock.ts";
import { PluginError } from "../errors.ts";
import { pluginsDir } from "../paths.ts";
import { readTextIfExistsSync, replaceFile } from "../write_file.ts";

/** The two kinds of plugin h3 runs. */
export type PluginKind = "typescript" | "executable";

/** A command a plugin adds, as listed in the manifest. */
export interface CommandInfo {
  name: string;
  description: string;
}

/** What h3 knows about a plugin without loading it. */
export interface PluginInfo {
  name: string;
  version: string;
  kind: PluginKind;
  description: string;
  commands: CommandInfo[];
  /** Whether it supplies credentials (TypeScript plugins only). */
  credentials: boolean;
  /**
   * Where it lives: a path relative to the plugins directory (a module for TypeScript plugins, the
   * plugin's directory for executable ones), or an `npm:` specifier.
   */
  entry: string;
  /**
   * sha256 (hex) of a TypeScript plugin's entry module as it was added, from a file or URL: a
   * plugin whose module changed since is not loaded.
   */
  sha256?: string;
}

interface ManifestFile {
  plugins: PluginInfo[];
}

/** The manifest's path. */
export function manifestPath(dir: string = pluginsDir()): string {
  return `${dir}/plugins.json`;
}

/**
 * The installed plugins; none when the manifest does not exist. Throws a PluginError if corrupt.
 * Read at every start, where a synchronous read of one small file is the quicker.
 */
export function readInstalled(dir: string = pluginsDir()): PluginInfo[] {
  const path = manifestPath(dir);
  const text = readTextIfExistsSync(path);
  if (text === undefined) return [];
  try {
    const data = JSON.parse(text) as ManifestFile;
    if (!Array.isArray(data.plugins)) throw new Error(`no "plugins" list`);
    return data.plugins;
  } catch (error) {
    throw new PluginError(`plugins manifest ${path} is corrupt: ${(error as Error).message}`);
  }
}

/**
 * Changes the manifest under a lock (so concurrent `plugin add`s do not lose each other) and
 * replaces it atomically; `change` gets the current list and returns the new one.
 */
export async function updateInstalled<T>(
  change: (plugins: PluginInfo[]) => Promise<{ plugins: PluginInfo[]; result: T }>,
  dir: string = pluginsDir(),
): Promise<T> {
  await Deno.mkdir(dir, { recursive: true });
  return await withLock(`${dir}/.lock`, async () => {
    const { plugins, result } = await change(readInstalled(dir));
    await replaceFile(
      manifestPath(dir),
      JSON.stringify({ plugins } satisfies ManifestFile, null, 2) + "\n",
    );
    return result;
  });
}
