/**
 * The credential-process plugin's cache: outputs of its commands kept for their configured
 * lifetime in `$HELM_HOME/credential-process.cache.json`, readable by the user only (0600).
 * @module
 */

interface CacheEntry {
  secret: string;
  expires: number;
}

type CacheFile = Record<string, CacheEntry>;

/** The cache file's path. */
export function cachePath(helmHome: string): string {
  return `${helmHome}/credential-process.cache.json`;
}

async function readCache(path: string): Promise<CacheFile> {
  try {
    const data = JSON.parse(await Deno.readTextFile(path));
    return typeof data === "object" && data !== null ? data : {};
  } catch {
    return {}; // missing or damaged: the commands are simply run again
  }
}

/** The cached secret for `key`, unless it has expired. */
export async function cached(path: string, key: string): Promise<string | undefined> {
  const entry = (await readCache(path))[key];
  return entry && entry.expires > Date.now() ? entry.secret : undefined;
}

/** Keeps `secret` under `key` for `lifetimeMs`, dropping expired entries; written 0600, atomically. */
export async function remember(
  path: string,
  key: string,
  secret: string,
  lifetimeMs: number,
): Promise<void> {
  const now = Date.now();
  const entries = Object.entries(await readCache(path)).filter(([, e]) => e.expires > now);
  const data: CacheFile = Object.fromEntries(entries);
  data[key] = { secret, expires: now + lifetimeMs };
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  // A plugin stands alone (it is copied into the plugins folder), so it cannot import h3's
  // replaceFile; it writes the same way: a random temp name, created exclusively, then a rename.
  const tmp = `${path}.${Deno.pid}-${crypto.randomUUID()}.tmp`;
  try {
    await Deno.writeTextFile(tmp, JSON.stringify(data), { mode: 0o600, createNew: true });
    await Deno.chmod(tmp, 0o600).catch(() => {}); // mode is ignored on Windows
    await Deno.rename(tmp, path);
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    throw error;
  }
}
