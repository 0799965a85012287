/** Atomic file writes for the cache: a temp file beside the target, then rename. @module */

/** Where a layout keeps files being written; same filesystem as the blobs, so rename is atomic. */
export function tempDir(layoutDir: string): string {
  return `${layoutDir}/.tmp`;
}

/** A new temp file path in the layout's temp dir, named after this process so cleanup can tell. */
export function tempPath(layoutDir: string): string {
  return `${tempDir(layoutDir)}/${Deno.pid}-${crypto.randomUUID()}`;
}

/** Writes `data` to `path` atomically: nobody ever sees a half-written file under `path`. */
export async function writeFileAtomic(
  layoutDir: string,
  path: string,
  data: Uint8Array | string,
): Promise<void> {
  const tmp = tempPath(layoutDir);
  try {
    if (typeof data === "string") await Deno.writeTextFile(tmp, data);
    else await Deno.writeFile(tmp, data);
    await Deno.rename(tmp, path);
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    throw error;
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

/**
 * Removes temp files left by processes that died mid-write: those whose writer is gone, or (where
 * that cannot be told) older than `maxAgeMs`. Returns how many bytes it freed.
 */
export async function cleanTemps(layoutDir: string, maxAgeMs = 60 * 60 * 1000): Promise<number> {
  let freed = 0;
  try {
    for await (const entry of Deno.readDir(tempDir(layoutDir))) {
      const path = `${tempDir(layoutDir)}/${entry.name}`;
      const pid = Number(entry.name.split("-")[0]);
      const info = await Deno.stat(path).catch(() => undefined);
      if (!info) continue;
      const stale = pid === Deno.pid
        ? false
        : Number.isInteger(pid) && pid > 0
        ? !processAlive(pid) || Date.now() - (info.mtime?.getTime() ?? 0) > maxAgeMs
        : true;
      if (stale) {
        await Deno.remove(path, { recursive: true }).then(() => freed += info.size).catch(() => {});
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return freed;
}
