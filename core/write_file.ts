/**
 * Files h3 keeps, read and replaced the one way h3 does it. A replacement's content goes to a temp
 * file with a random name, created exclusively (a file or symbolic link planted under a name
 * someone guessed is never followed or overwritten), then renamed over the target, so a reader
 * sees the old file or the new one, never half of one; an interrupt removes the temp file. A
 * missing file reads as "none", any other failure is reported.
 * @module
 */
import { onInterrupt } from "./interrupt.ts";
import { writeStream } from "./stream_file.ts";

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

/** A temp file name beside `path`: `<path>.<pid>-<random uuid>.tmp`. */
export function tempBeside(path: string): string {
  return `${path}.${Deno.pid}-${crypto.randomUUID()}.tmp`;
}

/** Writes `data` (text, bytes or a stream) to `path` through an exclusive temp file and a rename. */
export async function replaceFile(
  path: string,
  data: string | Uint8Array | ReadableStream<Uint8Array>,
  options: ReplaceOptions = {},
): Promise<void> {
  const tmp = options.temp ?? tempBeside(path);
  const write = { createNew: true, ...(options.mode === undefined ? {} : { mode: options.mode }) };
  const forget = onInterrupt(() => Deno.remove(tmp).catch(() => {}));
  try {
    if (typeof data === "string") await Deno.writeTextFile(tmp, data, write);
    else if (data instanceof Uint8Array) await Deno.writeFile(tmp, data, write);
    else await writeStream(await Deno.open(tmp, { write: true, ...write }), data);
    if (options.mode !== undefined) await Deno.chmod(tmp, options.mode).catch(() => {});
    await Deno.rename(tmp, path);
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    throw error;
  } finally {
    forget();
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
