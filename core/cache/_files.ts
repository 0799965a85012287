/**
 * Where the cache writes its temp files (written and renamed into place by `../write_file.ts`). What the cache
 * deletes it never reaches through a symbolic link: a `.tmp` or `blobs/sha256` that is a link is
 * refused, and only temp files named as h3 names them are cleared.
 * @module
 */
import { CacheError } from "../errors.ts";
import { tempName } from "../write_file.ts";

/** Where a layout keeps files being written; same filesystem as the blobs, so rename is atomic. */
export function tempDir(layoutDir: string): string {
  return `${layoutDir}/.tmp`;
}

/** A new temp file path in the layout's temp dir, named after this process so cleanup can tell. */
export function tempPath(layoutDir: string): string {
  return `${tempDir(layoutDir)}/${tempName()}`;
}

/** Names of the form `tempPath` gives, `<pid>-<id>`: nothing else in the temp dir is h3's to delete. */
const ownName = /^[1-9]\d*-[A-Za-z0-9-]{1,64}$/;

/**
 * Refuses a layout whose temp or blob folder is a symbolic link (or not a folder): h3 writes and
 * deletes there, and would write and delete wherever the link points.
 */
export async function checkFolders(layoutDir: string): Promise<void> {
  for (const folder of [tempDir(layoutDir), `${layoutDir}/blobs`, `${layoutDir}/blobs/sha256`]) {
    const info = await Deno.lstat(folder).catch(() => undefined);
    if (!info || info.isDirectory) continue;
    throw new CacheError(
      `${folder} is ${info.isSymlink ? "a symbolic link" : "not a folder"}; h3 does not write or ` +
        `delete through it: remove it (h3 makes a new one)`,
    );
  }
}

/** Whether a process with this pid is still running (Linux /proc; elsewhere assumed alive). */
function processAlive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) return true;
    try {
      Deno.statSync("/proc/self");
      return false;
    } catch {
      return true;
    }
  }
}

/** Removes this process's temp files in the layout (an interrupted process's cleanup). */
export async function removeOwnTemps(layoutDir: string): Promise<void> {
  try {
    if ((await Deno.lstat(tempDir(layoutDir))).isSymlink) return; // never delete through a link
    for await (const entry of Deno.readDir(tempDir(layoutDir))) {
      if (entry.name.startsWith(`${Deno.pid}-`) && ownName.test(entry.name)) {
        await Deno.remove(`${tempDir(layoutDir)}/${entry.name}`, { recursive: true }).catch(
          () => {},
        );
      }
    }
  } catch { /* no temp dir: nothing to remove */ }
}

/** A temp file left by a write that did not finish. */
export interface StaleTemp {
  /** Its path relative to the layout, e.g. `.tmp/1234-<uuid>`. */
  file: string;
  /** Its size in bytes. */
  size: number;
  /** Whether it is gone since (a write's start clears dead writers' temp files). */
  removed?: boolean;
}

/**
 * Temp files left by processes that died mid-write: those whose writer is gone, or (where that
 * cannot be told) older than `maxAgeMs`. This process's own are never stale.
 */
export async function staleTemps(
  layoutDir: string,
  maxAgeMs = 60 * 60 * 1000,
): Promise<StaleTemp[]> {
  const stale: StaleTemp[] = [];
  await checkFolders(layoutDir);
  try {
    for await (const entry of Deno.readDir(tempDir(layoutDir))) {
      if (!ownName.test(entry.name)) continue; // not h3's: left alone
      const pid = Number(entry.name.split("-")[0]);
      const info = await Deno.lstat(`${tempDir(layoutDir)}/${entry.name}`).catch(() => undefined);
      if (!info || info.isSymlink) continue;
      const dead = pid !== Deno.pid &&
        (!processAlive(pid) || Date.now() - (info.mtime?.getTime() ?? 0) > maxAgeMs);
      if (dead) stale.push({ file: `.tmp/${entry.name}`, size: info.size });
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return stale.sort((a, b) => (a.file < b.file ? -1 : 1));
}

/** Removes the stale temp files (see `staleTemps`); returns how many and how many bytes. */
export async function cleanTemps(
  layoutDir: string,
  maxAgeMs = 60 * 60 * 1000,
): Promise<{ files: number; bytes: number }> {
  const freed = { files: 0, bytes: 0 };
  for (const temp of await staleTemps(layoutDir, maxAgeMs)) {
    await Deno.remove(`${layoutDir}/${temp.file}`, { recursive: true }).then(() => {
      freed.files++;
      freed.bytes += temp.size;
    }, () => {});
  }
  return freed;
}
