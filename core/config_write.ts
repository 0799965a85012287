/**
 * Remembering per-registry settings in h3's config file: `registry login --ca-file ...` writes
 * the TLS files it was given under `registries.HOST`, keeping the rest of the file (comments
 * too), checked as a config before it replaces the old file in one rename.
 * @module
 */
import { parseDocument } from "yaml";
import { H3Error } from "./errors.ts";
import { readTextIfExists, replaceFile } from "./write_file.ts";
import { configPath, parseConfig, type RegistrySettings } from "./config.ts";

/** The settings `rememberRegistrySettings` stores: the TLS files. */
export type RememberedSettings = Pick<RegistrySettings, "caFile" | "certFile" | "keyFile">;

/** `file` as an absolute path (relative ones are taken from the current directory). */
function absolute(file: string): string {
  return file.startsWith("/") ? file : `${Deno.cwd()}/${file.replace(/^\.\//, "")}`;
}

/**
 * Stores `settings` (those given; file names made absolute) for `host` in the config file, over
 * what it had for them. Returns the keys written (none: the file is left as it was).
 */
export async function rememberRegistrySettings(
  host: string,
  settings: RememberedSettings,
  path: string = configPath(),
): Promise<string[]> {
  const given = Object.entries(settings).filter(([, v]) => v !== undefined) as [string, string][];
  if (!given.length) return [];
  const text = await readTextIfExists(
    path,
    (error) => new H3Error(`cannot read config ${path}: ${error.message}`),
  ) ?? "";
  await parseConfig(text, path); // a broken file is reported, not overwritten
  const doc = parseDocument(text);
  const key = host.toLowerCase();
  for (const [name, file] of given) doc.setIn(["registries", key, name], absolute(file));
  const updated = doc.toString();
  await parseConfig(updated, path);
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) || "/" : ".";
  await Deno.mkdir(dir, { recursive: true });
  await replaceFile(path, updated, { mode: 0o600 }).catch((error) => {
    throw new H3Error(`cannot write config ${path}: ${(error as Error).message}`);
  });
  return given.map(([name]) => name);
}
