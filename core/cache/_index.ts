/** The layout's `index.json`: reading it, and replacing it whole under the index lock. @module */
import { CacheError } from "../errors.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import { annotations, ociIndex } from "../oci/media_types.ts";
import { withLock } from "./lock.ts";
import { tempPath } from "./_files.ts";
import { readTextIfExists, replaceFile } from "../write_file.ts";

/** The parsed index.json of an OCI layout. */
export interface LayoutIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

/** An empty index, as a new layout starts. */
export function emptyIndex(): LayoutIndex {
  return { schemaVersion: 2, mediaType: ociIndex, manifests: [] };
}

/** Reads index.json; a malformed one is a CacheError naming the file (never silently replaced). */
export async function readIndex(dir: string): Promise<LayoutIndex> {
  const path = `${dir}/index.json`;
  const text = await readTextIfExists(path);
  return text === undefined ? emptyIndex() : parseIndex(path, text);
}

function parseIndex(path: string, text: string): LayoutIndex {
  try {
    const index = JSON.parse(text) as LayoutIndex;
    if (!Array.isArray(index.manifests)) throw new Error("no manifests array");
    return index;
  } catch (error) {
    throw new CacheError(`${path} is corrupt: ${(error as Error).message}`);
  }
}

/** An index.json as last read or written through a view, with that very file held open. */
interface Seen {
  /** index.json as it was read or written, open for as long as `index` is kept. */
  file?: Deno.FsFile;
  /** What `file` was when it was read or written (its inode, size and times). */
  info?: Deno.FileInfo;
  index: LayoutIndex;
  byRef?: Map<string, Descriptor>;
}

/**
 * Whether the file at index.json's path (`now`) is the file a view holds open (`held`, as it was
 * when read or written): the same inode on the same device. While a file is held open its inode
 * cannot be freed, so no other file can be given its number; and h3 never changes index.json in
 * place (every write is a new file renamed over it), so the same file is the same content. Size
 * and times must match too, for a writer that is not h3 and writes in place. (Inode, size and
 * times alone, without the file held, were not enough: a replaced index.json's inode is freed,
 * ext4 gives its number to the next temp file, and two rewrites of one length within a tick of
 * the file clock, which `Deno.FileInfo` gives in milliseconds or seconds, looked the same.)
 */
function sameFile(now: Deno.FileInfo, held: Deno.FileInfo): boolean {
  return now.ino !== null && now.ino === held.ino && now.dev === held.dev &&
    now.size === held.size && now.mtime?.getTime() === held.mtime?.getTime() &&
    now.ctime?.getTime() === held.ctime?.getTime();
}

/** index.json's file information; undefined when there is no index.json. */
function statIndex(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.statSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/**
 * Where a file held open cannot be renamed over (Windows, unless POSIX rename semantics apply), a
 * view holds none and reads index.json again on every lookup.
 */
const canHold = Deno.build.os !== "windows";

/** Reads the whole of an open file from where it stands. */
async function readOpen(file: Deno.FsFile, size: number): Promise<string> {
  let buffer = new Uint8Array(size + 1);
  let filled = 0;
  for (;;) {
    if (filled === buffer.byteLength) {
      const larger = new Uint8Array(buffer.byteLength * 2);
      larger.set(buffer);
      buffer = larger;
    }
    const read = await file.read(buffer.subarray(filled));
    if (read === null) break;
    filled += read;
  }
  return new TextDecoder().decode(buffer.subarray(0, filled));
}

/**
 * One layout's index.json as this process last read or wrote it, kept parsed while the file is
 * unchanged, so a command naming thousands of refs resolves each of them in one parsed index
 * (reading and parsing it per ref made such a command quadratic). The file read is held open
 * while its parse is kept (see `sameFile`); disposing the view closes it.
 */
export class IndexView implements Disposable {
  readonly #dir: string;
  #seen?: Seen;
  /** This view's write of index.json in progress (see `update`). */
  #writing?: Promise<void>;

  /** A view of the index.json in the layout at `dir`; nothing is read until asked. */
  constructor(dir: string) {
    this.#dir = dir;
  }

  get #path(): string {
    return `${this.#dir}/index.json`;
  }

  /** The index's descriptors, read-only (do not change what it returns). */
  async manifests(): Promise<readonly Descriptor[]> {
    return (await this.#view()).index.manifests;
  }

  /** The descriptor the index names `reference` by, if any (read-only). */
  async named(reference: string): Promise<Descriptor | undefined> {
    const view = await this.#view();
    if (!view.byRef) {
      view.byRef = new Map();
      for (const desc of view.index.manifests) {
        const ref = refName(desc);
        if (ref !== undefined && !view.byRef.has(ref)) view.byRef.set(ref, desc);
      }
    }
    return view.byRef.get(reference);
  }

  /** The kept index when index.json is still the file it was read from; else read again. */
  async #view(): Promise<Seen> {
    // While this view replaces the file, it has changed and `#seen` not yet: wait, or a bulk
    // pull's readers would each read and parse the whole new file again.
    if (this.#writing) await this.#writing;
    const last = this.#seen;
    const now = statIndex(this.#path);
    if (now && last?.info && sameFile(now, last.info)) return last;
    const view = await this.#read();
    // Kept unless this view wrote the index meanwhile: its own view is the newer one then.
    if (this.#seen !== last || this.#writing) view.file?.close();
    else this.#keep(view);
    return view;
  }

  /** Reads index.json through a file opened for it (held open by a view that keeps it). */
  async #read(): Promise<Seen> {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(this.#path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return { index: emptyIndex() };
      throw error;
    }
    try {
      const info = await file.stat();
      const index = parseIndex(this.#path, await readOpen(file, info.size));
      if (canHold) return { file, info, index };
      file.close();
      return { index };
    } catch (error) {
      file.close();
      throw error;
    }
  }

  /** Keeps `view` as the index this view knows, closing the file of the one it replaces. */
  #keep(view: Seen): void {
    if (this.#seen !== view) this.#seen?.file?.close();
    this.#seen = view.file ? view : undefined;
  }

  /**
   * Applies `change` to index.json while holding the index lock, and replaces the file whole. The
   * index is parsed again only when the file is not the one this view last read or wrote (a tag
   * of a pull of thousands of refs changes a few entries of a big index), and `change` gets a
   * copy of the list of entries, never one a reader holds; it must not change the entries.
   */
  async update<T>(change: (index: LayoutIndex) => T): Promise<T> {
    return await withLock(`${this.#dir}/.index.lock`, async () => {
      const last = this.#seen;
      const now = statIndex(this.#path);
      const index = last?.info && now && sameFile(now, last.info)
        ? { ...last.index, manifests: [...last.index.manifests] }
        : await readIndex(this.#dir);
      const result = change(index);
      const text = { chunks: utf8Chunks(indexPieces(index)) };
      const { promise: written, resolve } = Promise.withResolvers<void>();
      this.#writing = written;
      try {
        const file = await replaceFile(this.#path, text, {
          temp: tempPath(this.#dir),
          keepOpen: true,
        });
        try {
          const info = await file.stat(); // as renamed (a rename changes its ctime)
          if (canHold) this.#keep({ file, info, index });
          else file.close();
        } catch (error) {
          file.close();
          this.#keep({ index });
          throw error;
        }
      } finally {
        this.#writing = undefined;
        resolve();
      }
      return result;
    });
  }

  /** Closes the file held open; the next lookup reads index.json again. */
  [Symbol.dispose](): void {
    this.#seen?.file?.close();
    this.#seen = undefined;
  }
}

/** The reference a descriptor in the index is named by, if any. */
export function refName(desc: Descriptor): string | undefined {
  return desc.annotations?.[annotations.refName];
}

/**
 * `IndexView.update` through a view of its own (closed when done): for a change made once, by
 * code that keeps no view of the layout.
 */
export async function updateIndex<T>(dir: string, change: (index: LayoutIndex) => T): Promise<T> {
  using view = new IndexView(dir);
  return await view.update(change);
}

/** Each entry's text in index.json, by the entry (entries are not changed once in an index). */
const entryTexts = new WeakMap<object, string>();

/**
 * `JSON.stringify(index, null, 2) + "\n"`, byte for byte, with each entry of `manifests`
 * stringified once per process rather than on every write of the index.
 */
export function indexText(index: LayoutIndex): string {
  return [...indexPieces(index)].join("");
}

/**
 * `indexText` in pieces (an entry of `manifests` a piece): index.json is written piece by piece
 * (see `utf8Chunks`), so a rewrite of a big index never holds its whole text, and its bytes, in
 * memory at once; a bulk pull rewrites the index dozens of times.
 */
export function* indexPieces(index: LayoutIndex): Generator<string> {
  let fields = 0;
  for (const [key, value] of Object.entries(index)) {
    if (value === undefined || typeof value === "function" || typeof value === "symbol") continue;
    yield `${fields++ ? ",\n  " : "{\n  "}${JSON.stringify(key)}: `;
    if (key === "manifests" && Array.isArray(value)) yield* manifestsPieces(value);
    else yield JSON.stringify(value, null, 2).replaceAll("\n", "\n  ");
  }
  yield fields ? "\n}\n" : "{}\n";
}

function* manifestsPieces(manifests: unknown[]): Generator<string> {
  if (!manifests.length) return yield "[]";
  for (let i = 0; i < manifests.length; i++) {
    yield (i ? ",\n    " : "[\n    ") + entryText(manifests[i]);
  }
  yield "\n  ]";
}

/**
 * An entry's text as it stands in `manifests` (indented by four), cached by the entry. Cut out of
 * the text of `{ m: [entry] }` rather than indented with `replaceAll`, whose result V8 keeps as a
 * tree of a few dozen joined pieces: kept for every entry of a big index, the pieces cost more
 * than the text.
 */
function entryText(entry: unknown): string {
  const cacheable = typeof entry === "object" && entry !== null;
  let text = cacheable ? entryTexts.get(entry) : undefined;
  if (text === undefined) {
    const whole = JSON.stringify({ m: [entry ?? null] }, null, 2);
    text = whole.slice(entryStart, whole.length - entryEnd);
    if (cacheable) entryTexts.set(entry, text);
  }
  return text;
}

/** Where an entry's text starts and how far before the end it ends in `{ m: [entry] }`. */
const entryStart = '{\n  "m": [\n    '.length;
const entryEnd = "\n  ]\n}".length;

/**
 * Text pieces as UTF-8 in chunks of up to `size` bytes, each a view of one buffer that the next
 * chunk is encoded into again: a chunk must be used (written) before the next is asked for. A
 * rewrite of a big index makes no new bytes per chunk, where a new array per chunk made a bulk
 * pull's dozens of rewrites hundreds of MiB of short-lived buffers outside the JS heap.
 */
export function* utf8Chunks(
  pieces: Iterable<string>,
  size = 64 * 1024,
): Generator<Uint8Array<ArrayBuffer>> {
  const encoder = new TextEncoder();
  const buffer = new Uint8Array(size);
  let filled = 0;
  for (const piece of pieces) {
    // A UTF-16 code unit is at most 3 bytes of UTF-8 (a surrogate pair, 2 units, is 4).
    if (filled + piece.length * 3 > size && filled > 0) {
      yield buffer.subarray(0, filled);
      filled = 0;
    }
    if (piece.length * 3 > size) yield encoder.encode(piece); // bigger than the buffer: apart
    else filled += encoder.encodeInto(piece, buffer.subarray(filled)).written;
  }
  if (filled) yield buffer.subarray(0, filled);
}
