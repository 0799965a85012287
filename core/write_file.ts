/**
 * Replacing a file whole, the one way h3 does it: the new content goes to a temp file beside the
 * target with a random name, created exclusively (a file or symbolic link planted under a name
 * someone guessed is never followed or overwritten), then renamed over the target, so a reader
 * sees the old file or the new one, never half of one.
 * @module
 */

/** How a file is replaced. */
export interface ReplaceOptions {
  /** Permission bits of the new file (e.g. 0o600 for secrets); default 0o644 less the umask. */
  mode?: number;
}

/** A temp file name beside `path`: `<path>.<pid>-<random uuid>.tmp`. */
export function tempBeside(path: string): string {
  return `${path}.${Deno.pid}-${crypto.randomUUID()}.tmp`;
}

/** Writes `data` to `path` through an exclusive random temp file and a rename. */
export async function replaceFile(
  path: string,
  data: string | Uint8Array,
  options: ReplaceOptions = {},
): Promise<void> {
  const tmp = tempBeside(path);
  const write = { createNew: true, ...(options.mode === undefined ? {} : { mode: options.mode }) };
  try {
    if (typeof data === "string") await Deno.writeTextFile(tmp, data, write);
    else await Deno.writeFile(tmp, data, write);
    if (options.mode !== undefined) await Deno.chmod(tmp, options.mode).catch(() => {});
    await Deno.rename(tmp, path);
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    throw error;
  }
}
