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
  if (text === undefined) return emptyIndex();
  try {
    const index = JSON.parse(text) as LayoutIndex;
    if (!Array.isArray(index.manifests)) throw new Error("no manifests array");
    return index;
  } catch (error) {
    throw new CacheError(`${path} is corrupt: ${(error as Error).message}`);
  }
}

/** An index.json as last read by this process, with what identified the file then. */
interface Seen {
  /** Inode, size, mtime and ctime: index.json is only ever replaced by a rename. */
  key: string;
  index: LayoutIndex;
  byRef?: Map<string, Descriptor>;
}

const seen = new Map<string, Seen>();

/** By layout directory: this process's write of index.json in progress (see `updateIndex`). */
const writing = new Map<string, Promise<void>>();

function fileKey(path: string): string | undefined {
  try {
    const info = Deno.statSync(path);
    return `${info.ino}:${info.size}:${info.mtime?.getTime()}:${info.ctime?.getTime()}`;
  } catch {
    return undefined;
  }
}

/**
 * index.json for reading only (do not change what it returns): parsed again only when the file
 * changed since this process last read it. A command naming thousands of refs resolves each of
 * them in one index: reading and parsing it per ref made such a command quadratic.
 */
async function viewIndex(dir: string): Promise<Seen> {
  // While this process replaces the file, it has changed and `seen` not yet: wait, or a bulk
  // pull's readers would each read and parse the whole new file again.
  const pending = writing.get(dir);
  if (pending) await pending;
  const path = `${dir}/index.json`;
  const key = fileKey(path);
  const last = seen.get(dir);
  if (key !== undefined && last?.key === key) return last;
  const index = await readIndex(dir);
  const view = { key: key ?? "", index };
  // Kept unless this process wrote the index meanwhile: its own view is the newer one then.
  if (seen.get(dir) !== last || writing.has(dir)) return view;
  if (key !== undefined) seen.set(dir, view);
  else seen.delete(dir);
  return view;
}

/** The index's descriptors, read-only (see `viewIndex`). */
export async function indexManifests(dir: string): Promise<readonly Descriptor[]> {
  return (await viewIndex(dir)).index.manifests;
}

/** The descriptor the index names `reference` by, if any (read-only; see `viewIndex`). */
export async function namedManifest(
  dir: string,
  reference: string,
): Promise<Descriptor | undefined> {
  const view = await viewIndex(dir);
  if (!view.byRef) {
    view.byRef = new Map();
    for (const desc of view.index.manifests) {
      const ref = refName(desc);
      if (ref !== undefined && !view.byRef.has(ref)) view.byRef.set(ref, desc);
    }
  }
  return view.byRef.get(reference);
}

/** The reference a descriptor in the index is named by, if any. */
export function refName(desc: Descriptor): string | undefined {
  return desc.annotations?.[annotations.refName];
}

/**
 * Applies `change` to index.json while holding the index lock, and replaces the file whole. The
 * index is parsed again only when the file is not the one this process last read or wrote (a tag
 * of a pull of thousands of refs changes a few entries of a big index), and `change` gets a copy
 * of the list of entries, never one a reader holds; it must not change the entries themselves.
 */
export async function updateIndex<T>(dir: string, change: (index: LayoutIndex) => T): Promise<T> {
  return await withLock(`${dir}/.index.lock`, async () => {
    const path = `${dir}/index.json`;
    const last = seen.get(dir);
    const index = last !== undefined && last.key === fileKey(path)
      ? { ...last.index, manifests: [...last.index.manifests] }
      : await readIndex(dir);
    const result = change(index);
    const text = ReadableStream.from(utf8Chunks(indexPieces(index)));
    const { promise: written, resolve } = Promise.withResolvers<void>();
    writing.set(dir, written);
    try {
      await replaceFile(path, text, { temp: tempPath(dir) });
      const key = fileKey(path);
      if (key === undefined) seen.delete(dir);
      else seen.set(dir, { key, index });
    } finally {
      writing.delete(dir);
      resolve();
    }
    return result;
  });
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

/** Text pieces as UTF-8 in chunks of about `size` characters. */
export function* utf8Chunks(
  pieces: Iterable<string>,
  size = 64 * 1024,
): Generator<Uint8Array<ArrayBuffer>> {
  const encoder = new TextEncoder();
  let text = "";
  for (const piece of pieces) {
    text += piece;
    if (text.length < size) continue;
    yield encoder.encode(text);
    text = "";
  }
  if (text) yield encoder.encode(text);
}
