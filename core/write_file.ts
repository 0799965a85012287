/**
 * Files and folders h3 keeps, read and replaced the one way h3 does it (the only module in core
 * that names temp files and renames them into place). A replacement's content goes to a temp file
 * with a random name (`tempName`), created exclusively (a file or symbolic link planted under a
 * name someone guessed is never followed or overwritten), then renamed over the target, so a
 * reader sees the old file or the new one, never half of one; an interrupt removes the temp file.
 * A folder is built in a temp folder and renamed into place the same way (`replaceDir`), an old
 * one set aside until the new one is in. A missing file reads as "none", any other failure is
 * reported.
 * @module
 */
import { interrupting, onInterrupt } from "./interrupt.ts";
import { writeChunks, writeStream } from "./stream_file.ts";

/** How a file is replaced. */
export interface ReplaceOptions {
  /** Permission bits of the new file (e.g. 0o600 for secrets); default 0o644 less the umask. */
  mode?: number;
  /**
   * The temp file to write first (on the target's file system), when it must be somewhere a
   * cleanup knows (the cache's temp folder); default: beside the target (`tempBeside`).
   */
  temp?: string;
}

/**
 * A name no other write picks: `<pid>-<random uuid>` (the pid tells a cleanup whether its writer
 * still runs).
 */
export function tempName(): string {
  return `${Deno.pid}-${crypto.randomUUID()}`;
}

/** A temp file name beside `path`: `<path>.<pid>-<random uuid>.tmp`. */
export function tempBeside(path: string): string {
  return `${path}.${tempName()}.tmp`;
}

/**
 * Renames the finished temp file or folder `tmp` to `path` (or to the path `path()` gives once
 * the content is complete, e.g. named by its digest); when that fails, `tmp` is removed.
 */
export async function moveIntoPlace(
  tmp: string,
  path: string | (() => string | Promise<string>),
): Promise<void> {
  try {
    await Deno.rename(tmp, typeof path === "string" ? path : await path());
  } catch (error) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw error;
  }
}

/**
 * `moveIntoPlace` with synchronous calls, for a small temp file written with `writeTempSync`.
 * Returns a promise, settled once the rename is done or `tmp` is removed after it failed.
 */
export function moveIntoPlaceSync(tmp: string, path: string): Promise<void> {
  try {
    Deno.renameSync(tmp, path);
    return Promise.resolve();
  } catch (error) {
    try {
      Deno.removeSync(tmp);
    } catch { /* gone already */ }
    return Promise.reject(error);
  }
}

/**
 * Makes the folder `path` and any missing parents, and returns what undoes that for a write that
 * then failed: the folders this call made are removed, deepest first, each only while empty, so
 * a failed write leaves no folder it made (a user's `-d out` stays as it was).
 */
export async function makeDirs(path: string): Promise<() => Promise<void>> {
  const made: string[] = [];
  // Each turn goes up one level: at most as many turns as `path` has parts.
  for (let dir = path.replace(/\/+$/, ""); dir !== "" && dir !== "." && dir !== "/";) {
    if (await Deno.lstat(dir).then(() => true, () => false)) break;
    made.push(dir);
    const slash = dir.lastIndexOf("/");
    dir = slash < 0 ? "" : dir.slice(0, slash);
  }
  await Deno.mkdir(path, { recursive: true });
  return async () => {
    for (const dir of made) await Deno.remove(dir).catch(() => {});
  };
}

/**
 * Puts the finished folder `work` at `path` by a rename. Anything already at `path` is first
 * renamed to `aside` (a path in the caller's temp folder, which its cleanup removes) and put back
 * when the rename fails, so `path` holds the old content or the new, never none.
 */
export async function replaceDir(work: string, path: string, aside: string): Promise<void> {
  const replaced = await Deno.rename(path, aside).then(() => true, (error) => {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  });
  try {
    await Deno.rename(work, path);
  } catch (error) {
    if (replaced) await Deno.rename(aside, path).catch(() => {});
    throw error;
  }
}

/**
 * What a file is written from: text, bytes, a stream, or chunks given one at a time
 * (`ChunkSource`).
 */
export type FileData = string | Uint8Array | ReadableStream<Uint8Array> | ChunkSource;

/**
 * Bytes in chunks, each written whole before the next is asked for: a chunk may be a view of the
 * buffer the next one is made in (as the cache's index.json is written, from one reused buffer).
 */
export interface ChunkSource {
  /** The chunks, in order. */
  chunks: Iterable<Uint8Array>;
}

/**
 * Writes `data` (text, bytes, a stream or chunks) to `path` through an exclusive temp file and a rename.
 * With `keepOpen`, returns the new file opened for reading (opened before the rename, so it is the
 * file written, whatever is renamed to `path` later); the caller closes it.
 */
export async function replaceFile(
  path: string,
  data: FileData,
  options: ReplaceOptions & { keepOpen: true },
): Promise<Deno.FsFile>;
export async function replaceFile(
  path: string,
  data: FileData,
  options?: ReplaceOptions,
): Promise<void>;
export async function replaceFile(
  path: string,
  data: FileData,
  options: ReplaceOptions & { keepOpen?: boolean } = {},
): Promise<Deno.FsFile | void> {
  const tmp = options.temp ?? tempBeside(path);
  const forget = onInterrupt(() => Deno.remove(tmp).catch(() => {}));
  let file: Deno.FsFile | undefined;
  try {
    await writeTemp(tmp, data, options.mode);
    if (options.keepOpen) {
      file = await Deno.open(tmp).catch(async (error) => {
        await Deno.remove(tmp).catch(() => {});
        throw error;
      });
    }
    await moveIntoPlace(tmp, path);
    return file;
  } catch (error) {
    file?.close();
    throw error;
  } finally {
    forget();
  }
}

/**
 * Writes `data` to the new file `tmp` (created exclusively; with permission bits `mode` when
 * given), to be moved into place; when the write fails, `tmp` is removed (unless it was there
 * already: then it is not h3's).
 */
export async function writeTemp(
  tmp: string,
  data: FileData,
  mode?: number,
): Promise<void> {
  const write = { createNew: true, ...(mode === undefined ? {} : { mode }) };
  refuseWhileInterrupting();
  try {
    if (typeof data === "string") await Deno.writeTextFile(tmp, data, write);
    else if (data instanceof Uint8Array) await Deno.writeFile(tmp, data, write);
    else if (data instanceof ReadableStream) {
      await writeStream(await Deno.open(tmp, { write: true, ...write }), data);
    } else await writeChunks(await Deno.open(tmp, { write: true, ...write }), data.chunks);
    if (mode !== undefined) await Deno.chmod(tmp, mode).catch(() => {});
    refuseWhileInterrupting(); // made while the cleanups ran: they may have missed it
  } catch (error) {
    // what was there already is not ours to remove
    if (!(error instanceof Deno.errors.AlreadyExists)) await Deno.remove(tmp).catch(() => {});
    throw error;
  }
}

/** Throws `Deno.errors.Interrupted` while an interrupt's cleanups run (see `interrupting`). */
function refuseWhileInterrupting(): void {
  if (interrupting()) throw new Deno.errors.Interrupted("interrupted: no new temp file");
}

/**
 * `writeTemp` for bytes in hand, with one synchronous call (cheaper than async calls for small
 * files written many at a time); when the write fails, `tmp` is removed (as `writeTemp` does).
 */
export function writeTempSync(tmp: string, bytes: Uint8Array): void {
  refuseWhileInterrupting();
  try {
    Deno.writeFileSync(tmp, bytes, { createNew: true });
  } catch (error) {
    try {
      if (!(error instanceof Deno.errors.AlreadyExists)) Deno.removeSync(tmp);
    } catch { /* not written */ }
    throw error;
  }
}

/**
 * The text of `path`, or undefined when there is no such file. Any other failure goes to `fail`
 * (to be thrown as the caller's error); without it, it is thrown as it is.
 */
export async function readTextIfExists(
  path: string,
  fail?: (error: Error) => Error,
): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw fail ? fail(error as Error) : error;
  }
}

/** `readTextIfExists`, synchronously (for what must be known before anything async runs). */
export function readTextIfExistsSync(
  path: string,
  fail?: (error: Error) => Error,
): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw fail ? fail(error as Error) : error;
  }
}
