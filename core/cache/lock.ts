/**
 * Advisory file locks (flock) that several h3 processes use to share one cache: an exclusive lock
 * around index.json updates, and a shared/exclusive pair that keeps garbage collection away from
 * writes in progress.
 * @module
 */

/** A held lock; release it (or let the process exit) to let others in. */
export interface Lock {
  release(): void;
}

/** Takes a lock on `path` (created if missing), waiting for conflicting holders to let go. */
export async function lockFile(path: string, exclusive: boolean): Promise<Lock> {
  const file = await Deno.open(path, { read: true, write: true, create: true });
  try {
    await file.lock(exclusive);
  } catch (error) {
    file.close();
    throw error;
  }
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      file.close();
    },
  };
}

/**
 * Takes a shared lock on `path` for a reader that must not write: the file is opened read-only and
 * never created. Undefined when there is no lock file, or it cannot be opened (a read-only
 * filesystem or folder, no permission): nothing else can be writing there then either, or the
 * reader could not stop it.
 */
export async function readLock(path: string): Promise<Lock | undefined> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (
      error instanceof Deno.errors.NotFound || error instanceof Deno.errors.PermissionDenied ||
      code === "EROFS" || code === "EACCES"
    ) return undefined;
    throw error;
  }
  try {
    await file.lock(false);
  } catch (error) {
    file.close();
    throw error;
  }
  return { release: () => file.close() };
}

/** Runs `fn` while holding an exclusive lock on `path`. */
export async function withLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const lock = await lockFile(path, true);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
