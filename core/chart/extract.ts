/**
 * Extracting a packaged chart (.tgz) into `DEST/<name>/` safely: only regular files and
 * directories inside the chart's top directory; no `..`, absolute paths, links, devices or FIFOs;
 * limits on the decompressed size of the chart and of each file. It extracts into a temp directory
 * beside the destination and renames it into place at the end, so an error leaves nothing behind
 * and an existing chart directory is replaced (with `force`) only after success.
 * @module
 */
import type { TarHeader } from "modern-tar";
import { onInterrupt } from "../interrupt.ts";
import { ChartError, H3Error, option, phrase } from "../errors.ts";
import { humanSize } from "../size.ts";
import { makeDirs, replaceDir } from "../write_file.ts";
import { isValidChartName } from "./metadata.ts";
import { gunzipReader } from "./gunzip.ts";
import { tarStreamEntries } from "./tar_read.ts";

/** Helm 4's limit on a chart's decompressed size. */
export const defaultMaxChartSize = 100 * 1024 * 1024;
/** Helm 4's limit on the decompressed size of one file of a chart. */
export const defaultMaxFileSize = 5 * 1024 * 1024;

/** How to extract. */
export interface ExtractOptions {
  /** The chart's name: the archive's top directory and the directory created in `destination`. */
  name: string;
  /** The directory to extract into (created if missing). */
  destination: string;
  /** Replace an existing `destination/<name>` (only once extraction has succeeded). */
  force?: boolean;
  /** Most bytes the decompressed archive may have (default 100 MiB). */
  maxSize?: number;
  /** Most bytes one file may have (default 5 MiB). */
  maxFileSize?: number;
}

/**
 * Where an entry goes inside the chart directory, as path components (`[]` for the top directory
 * itself); throws a `ChartError` for anything unsafe or outside `<name>/`.
 */
export function entryPath(header: TarHeader, name: string): string[] {
  const raw = header.name;
  const refuse = (why: string): never => {
    throw new ChartError(`unsafe chart archive: entry "${raw}" ${why}`);
  };
  if (header.type !== "file" && header.type !== "directory") {
    refuse(`is a ${header.type ?? "special file"}, not a regular file or directory`);
  }
  if (raw.includes("\\")) refuse("contains a backslash");
  if (raw.startsWith("/") || /^[A-Za-z]:/.test(raw)) refuse("is an absolute path");
  const parts = raw.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) refuse(`refers to a parent directory ("..")`);
  if (parts[0] !== name) refuse(`is outside the chart's top directory "${name}/"`);
  if (parts.length === 1 && header.type !== "directory") refuse("is not a directory");
  return parts.slice(1);
}

/**
 * A name that `entryPath` splits at every "/" alone: no backslash or drive, no empty, "." or ".."
 * part, at least two parts; a trailing "/" allowed.
 */
const plainName = /^(?![A-Za-z]:)(?:(?!\.\.?\/)[^/\\]+\/)+(?!\.\.?\/?$)[^/\\]+\/?$/;

/**
 * `entryPath(header, name)` joined with "/" (`""` for the top directory), found without splitting
 * the name when it is a plain one, as nearly all are.
 */
export function relativePath(header: TarHeader, name: string): string {
  const raw = header.name;
  if (
    (header.type === "file" || header.type === "directory") && raw.startsWith(name) &&
    raw.charCodeAt(name.length) === 0x2f && plainName.test(raw)
  ) {
    return raw.slice(name.length + 1, raw.endsWith("/") ? -1 : undefined);
  }
  return entryPath(header, name).join("/");
}

/** `destination/name` as a user reads it: `mychart` for ".", `out/mychart` for "out/". */
export function chartDirPath(destination: string, name: string): string {
  if (destination === "" || destination === ".") return name;
  return `${destination.replace(/(.)\/+$/, "$1").replace(/^\/$/, "")}/${name}`;
}

/**
 * Extracts a .tgz (a stream, or bytes in hand) into `destination/<name>/` and returns that
 * directory's path.
 */
export async function extractChart(
  archive: ReadableStream<Uint8Array> | Uint8Array,
  options: ExtractOptions,
): Promise<string> {
  const { name, destination, force = false } = options;
  const target = chartDirPath(destination, name);
  let undo: () => Promise<void>;
  try {
    if (!isValidChartName(name)) throw new ChartError(`invalid chart name "${name}"`);
    if (!force && (await exists(target))) {
      throw new ChartError(phrase`${target} already exists (use ${option("force")} to replace it)`);
    }
    const dest = await Deno.stat(destination || ".").catch(() => undefined);
    if (dest && !dest.isDirectory) throw new ChartError(`${destination}: not a directory`);
    undo = await makeDirs(destination || ".");
  } catch (error) {
    if (archive instanceof ReadableStream) await archive.cancel().catch(() => {});
    throw error;
  }
  const tmp = await Deno.makeTempDir({ dir: destination || ".", prefix: `.${name}.h3-` });
  const forget = onInterrupt(() => Deno.remove(tmp, { recursive: true }));
  let placed = false;
  try {
    const work = `${tmp}/${name}`;
    await Deno.mkdir(work, { mode: 0o777 }); // 0755 once unpack has read the umask off it
    await unpack(archive, work, options);
    await placeChart(work, target, force, tmp);
    placed = true;
    return target;
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    forget();
    if (!placed) await undo();
  }
}

/** An entry of a chart archive as `eachChartEntry` hands it on. */
export interface ChartEntry {
  /** Its path in the chart directory (see `relativePath`): `""` for the top directory. */
  rel: string;
  /** The directory it is in (`""` for the top one). */
  parent: string;
  header: TarHeader;
  /**
   * Its bytes: in hand, or a stream (a large file) to read or cancel before the visit ends. Bytes
   * in hand are valid only during the visit.
   */
  body: Uint8Array | ReadableStream<Uint8Array>;
}

/**
 * Reads a chart archive (a .tgz) entry by entry under the rules of extraction, and hands each to
 * `visit` (awaited only when it returns a promise): only regular files and directories inside
 * `<name>/` (`relativePath`), no entry twice or inside a file, no file over `maxFileSize`, at
 * most `maxSize` bytes decompressed, and a Chart.yaml. Without a `name`, the first entry's top
 * directory is the chart's (a valid chart name, as Helm's loader takes it). Returns the name. A
 * broken archive is a `ChartError`.
 */
export async function eachChartEntry(
  archive: ReadableStream<Uint8Array> | Uint8Array,
  options: Partial<Pick<ExtractOptions, "name" | "maxSize" | "maxFileSize">>,
  visit: (entry: ChartEntry) => void | Promise<void>,
): Promise<string> {
  const maxFileSize = options.maxFileSize ?? defaultMaxFileSize;
  const kinds = new Map<string, "file" | "dir">();
  let dir: string | undefined; // the last file's directory: claimed already
  let name = options.name;
  try {
    const tar = gunzipReader(archive, options.maxSize ?? defaultMaxChartSize);
    for await (const batch of tarStreamEntries(tar)) {
      for (const { header, body } of batch) {
        name ??= topDirectory(header);
        const rel = relativePath(header, name);
        const slash = rel.lastIndexOf("/");
        const parent = slash < 0 ? "" : rel.slice(0, slash);
        claim(kinds, rel, header, parent === dir);
        if (header.type === "file") {
          if (header.size > maxFileSize) {
            throw new ChartError(
              phrase`chart file "${rel}" is ${humanSize(header.size)}, over the ${
                humanSize(maxFileSize)
              } limit for one file (see ${option("maxFileSize")})`,
            );
          }
          dir = parent;
        }
        const visited = visit({ rel, parent, header, body });
        if (visited) await visited;
      }
    }
  } catch (error) {
    if (error instanceof H3Error || error instanceof Deno.errors.PermissionDenied) throw error;
    if (error instanceof Error && Object.values(Deno.errors).some((e) => error instanceof e)) {
      throw error;
    }
    throw new ChartError(`invalid chart archive: ${(error as Error).message ?? error}`, {
      cause: error,
    });
  }
  if (name === undefined) throw new ChartError("chart archive is empty");
  if (kinds.get("Chart.yaml") !== "file") {
    throw new ChartError(`chart archive has no ${name}/Chart.yaml`);
  }
  return name;
}

/** The first part of an entry's path (`mychart` of `./mychart/Chart.yaml`); "" when none. */
export function topPart(name: string): string {
  return name.split("/").find((part) => part !== "" && part !== ".") ?? "";
}

/** The first path part of the first entry: the chart's top directory, a valid chart name. */
function topDirectory(header: TarHeader): string {
  const top = topPart(header.name);
  if (!isValidChartName(top)) throw new ChartError(`invalid chart name "${top}"`);
  return top;
}

/**
 * Writes the archive's entries under `work`. File system calls are synchronous (an async call per
 * file costs several times the call itself on a chart of thousands of small files), and a
 * directory is created once, not once per file in it.
 */
async function unpack(
  archive: ReadableStream<Uint8Array> | Uint8Array,
  work: string,
  options: ExtractOptions,
): Promise<void> {
  const made = new Set<string>([""]);
  // The permission bits the umask lets through, as the top directory (made 0777) got them; it gets
  // 0755 of them, as the chart's other directories do (made 0755, less the umask).
  const topMode = Deno.statSync(work).mode; // null on Windows, where modes do not apply
  const allowed = (topMode ?? 0o777) & 0o777;
  if (topMode !== null) Deno.chmodSync(work, 0o755 & allowed);
  // `writeFile` with a mode chmods the file once open: where the umask turns the default 0666 into
  // the same bits (022, 027, 077...), plain files get no mode, one system call less a file.
  const plainMode = 0o644 & allowed;
  const writeOptions = {
    plain: (0o666 & allowed) === plainMode
      ? { createNew: true }
      : { createNew: true, mode: plainMode },
    executable: { createNew: true, mode: 0o755 & allowed },
  };
  const makeDir = (rel: string) => {
    if (made.has(rel)) return;
    Deno.mkdirSync(`${work}/${rel}`, { recursive: true, mode: 0o755 });
    made.add(rel);
  };
  await eachChartEntry(archive, options, ({ rel, parent, header, body }) => {
    if (header.type === "directory") {
      makeDir(rel);
      if (body instanceof ReadableStream) return body.cancel();
      return;
    }
    makeDir(parent);
    const kind = ((header.mode ?? 0) & 0o111) !== 0 ? "executable" : "plain";
    const path = `${work}/${rel}`;
    // a body in hand: one call (open, write and close), no promise
    if (body instanceof Uint8Array) Deno.writeFileSync(path, body, writeOptions[kind]);
    else return writeStream(path, body, writeOptions[kind]);
  });
}

/**
 * Writes a streamed body (a large file) to the new file `path`, opened with `options` (`createNew`,
 * and a `mode` the umask applies to). The reader is not released at the end: the body is done with, and a
 * release makes a new error for the reader's closed promise.
 */
async function writeStream(
  path: string,
  body: ReadableStream<Uint8Array>,
  options: Deno.OpenOptions,
) {
  using file = Deno.openSync(path, { ...options, write: true });
  const reader = body.getReader();
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    for (let at = 0; at < read.value.byteLength;) at += file.writeSync(read.value.subarray(at));
  }
}

/**
 * Records an entry's path `rel` (see `relativePath`), refusing duplicates and entries inside
 * something that is a file. `known`: its directory is recorded as one already.
 */
function claim(
  kinds: Map<string, "file" | "dir">,
  rel: string,
  header: TarHeader,
  known: boolean,
): void {
  if (rel === "") return;
  for (let slash = known ? -1 : rel.indexOf("/"); slash >= 0; slash = rel.indexOf("/", slash + 1)) {
    const parent = rel.slice(0, slash);
    if (kinds.get(parent) === "file") {
      throw new ChartError(`unsafe chart archive: entry "${header.name}" is inside a file`);
    }
    kinds.set(parent, "dir");
  }
  const kind = header.type === "directory" ? "dir" : "file";
  if (kinds.has(rel) && !(kind === "dir" && kinds.get(rel) === "dir")) {
    throw new ChartError(`unsafe chart archive: entry "${header.name}" appears twice`);
  }
  kinds.set(rel, kind);
}

/** Puts the extracted `work` at `target`, replacing what is there only with `force`. */
async function placeChart(work: string, target: string, force: boolean, tmp: string) {
  if (!force && (await exists(target))) {
    throw new ChartError(phrase`${target} already exists (use ${option("force")} to replace it)`);
  }
  await replaceDir(work, target, `${tmp}/.replaced`);
}

function exists(path: string): Promise<boolean> {
  return Deno.lstat(path).then(() => true, () => false);
}
