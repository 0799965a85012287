/**
 * The layout's `index.json` as a view keeps it: read once and kept while the file is unchanged,
 * and replaced whole under the index lock (reading it as a file: `index_file.ts`).
 * @module
 */
import type { Descriptor } from "../oci/descriptor.ts";
import { withLock } from "./lock.ts";
import { tempPath } from "./_files.ts";
import { replaceFile } from "../write_file.ts";
import { emptyIndex, type LayoutIndex, parseIndex, readIndex, refName } from "./index_file.ts";

/**
 * An entry of an index's `manifests` as a view keeps it: parsed as it was read or made, and from
 * its first write into index.json on only as its bytes there (never both), with the reference
 * and digest that lookups go by. (Kept parsed and as text too, the 10,000 entries of a bulk pull
 * were twice the memory, all of it live until the end; as a string, the text was most of the
 * JS heap that lives through the pull, which V8 lets grow to a few times what lives. Bytes are
 * kept outside that heap, and are written as they are.)
 */
export class IndexItem {
  /** The reference it is named by (`refName`), if any. */
  readonly ref: string | undefined;
  /** The digest of the manifest it names, if any. */
  readonly digest: string | undefined;
  #value: unknown;
  #bytes: Uint8Array | undefined;

  /** An item of the parsed entry `value` (a descriptor, or whatever index.json held). */
  constructor(value: unknown) {
    this.#value = value;
    const desc = typeof value === "object" && value !== null ? value as Descriptor : undefined;
    const ref = desc && refName(desc);
    this.ref = typeof ref === "string" ? ref : undefined;
    this.digest = typeof desc?.digest === "string" ? desc.digest : undefined;
  }

  /** The entry parsed: the one held, or parsed anew from its bytes. Read-only. */
  value(): unknown {
    return this.#bytes === undefined ? this.#value : JSON.parse(decoder.decode(this.#bytes));
  }

  /**
   * The entry's text in index.json as UTF-8 (see `entryText`); from now on only these bytes are
   * kept. Read-only.
   */
  bytes(): Uint8Array {
    if (this.#bytes === undefined) {
      this.#bytes = encoder.encode(entryText(this.#value));
      this.#value = undefined;
    }
    return this.#bytes;
  }
}

/** An index.json as last read or written through a view, with that very file held open. */
interface Seen {
  /** index.json as it was read or written, open for as long as `index` is kept. */
  file?: Deno.FsFile;
  /** What `file` was when it was read or written (its inode, size and times). */
  info?: Deno.FileInfo;
  /** index.json's fields, its `manifests` empty (they are `items`), in their order. */
  head: LayoutIndex;
  /** The entries of `manifests`. */
  items: readonly IndexItem[];
  byRef?: Map<string, IndexItem>;
}

/**
 * `items` with an entry of each of `batch`'s descriptors in place of those named by its refs, in
 * index.json's order: by repository, then by tag, code unit by code unit (the same on every
 * machine; `localeCompare` ordered them much the same, but a process's first call loads an ICU
 * collator, ~10 ms of every save and pull). The batch is merged into entries already in order
 * (as h3 writes them): each of its entries finds its place by bisection, and the entries between
 * are copied over, none parsed or compared (a pull of 10,000 refs rewrites the index ~80 times
 * with ~100 tags each: comparing every entry to its neighbour, then to the batch, took ~5 ms a
 * rewrite at 10,000 entries, bisection ~0.15 ms).
 */
export function withRefs(
  items: readonly IndexItem[],
  batch: ReadonlyMap<string, Descriptor>,
): IndexItem[] {
  const added = [...batch.values()].map((desc) => new IndexItem(desc)).sort(byRefName);
  if (!inOrder(items)) {
    // Not in order (written by another tool): the whole list is sorted, as it always was.
    const kept = items.filter((item) => !batch.has(item.ref ?? ""));
    return ordered([...kept, ...added].sort(byRefName));
  }
  const merged: IndexItem[] = [];
  let k = 0;
  for (const item of added) {
    // The first entry from k on that does not sort before `item`.
    let end = items.length;
    for (let start = k; start < end;) {
      const middle = (start + end) >>> 1;
      if (byRefName(items[middle], item) < 0) start = middle + 1;
      else end = middle;
    }
    while (k < end) merged.push(items[k++]);
    // Entries that sort with `item`: those the batch names go, the others stay before it.
    for (; k < items.length && byRefName(items[k], item) === 0; k++) {
      if (!batch.has(items[k].ref ?? "")) merged.push(items[k]);
    }
    merged.push(item);
  }
  while (k < items.length) merged.push(items[k++]);
  return ordered(merged);
}

/** Lists of entries known to be in index.json's order: made so by `withRefs`. */
const inOrderLists = new WeakSet<readonly IndexItem[]>();

/** `items`, remembered as in order (see `inOrder`). */
function ordered(items: IndexItem[]): IndexItem[] {
  inOrderLists.add(items);
  return items;
}

/** Whether `items` are in index.json's order: made by `withRefs`, or checked entry by entry. */
function inOrder(items: readonly IndexItem[]): boolean {
  if (inOrderLists.has(items)) return true;
  for (let i = 1; i < items.length; i++) if (byRefName(items[i - 1], items[i]) > 0) return false;
  return true;
}

/** index.json's order (see `withRefs`), comparing in place (a sort of 10,000 entries makes no strings). */
function byRefName(a: IndexItem, b: IndexItem): number {
  const x = a.ref ?? "";
  const y = b.ref ?? "";
  const xEnd = repositoryEnd(x);
  const yEnd = repositoryEnd(y);
  return compareSpan(x, 0, xEnd, y, 0, yEnd) ||
    compareSpan(
      x,
      Math.min(xEnd + 1, x.length),
      x.length,
      y,
      Math.min(yEnd + 1, y.length),
      y.length,
    );
}

/** Where a reference's repository ends: at its tag's colon, or its end when it has no tag. */
function repositoryEnd(ref: string): number {
  const colon = ref.lastIndexOf(":");
  return colon > ref.lastIndexOf("/") ? colon : ref.length;
}

/** `x.slice(x0, x1)` against `y.slice(y0, y1)`, code unit by code unit, without slicing. */
function compareSpan(x: string, x0: number, x1: number, y: string, y0: number, y1: number): number {
  const length = Math.min(x1 - x0, y1 - y0);
  for (let i = 0; i < length; i++) {
    const difference = x.charCodeAt(x0 + i) - y.charCodeAt(y0 + i);
    if (difference !== 0) return difference < 0 ? -1 : 1;
  }
  return Math.sign((x1 - x0) - (y1 - y0));
}

/** A parsed index as a view keeps it, its entries' equal strings shared (see `shareStrings`). */
function seenOf(index: LayoutIndex): Seen {
  const strings = new Map<string, string>();
  const items = index.manifests.map((d) => new IndexItem(shareStrings(d, strings)));
  return { head: { ...index, manifests: [] }, items };
}

/**
 * The parsed entry `value`, its string fields and those of its annotations replaced by an equal
 * string met before (kept in `strings`). `JSON.parse` makes every value a string of its own, and
 * the tags of one chart repeat all of theirs but the ref name: of the ~5 MB that the parsed index
 * of 10,000 refs (1,000 charts × 10 tags) keeps through a push, ~3 MB was such copies, and V8 lets
 * the heap grow to a few times what lives.
 */
function shareStrings(value: unknown, strings: Map<string, string>): unknown {
  const share = (record: Record<string, unknown>) => {
    for (const [key, field] of Object.entries(record)) {
      if (typeof field !== "string") continue;
      const known = strings.get(field);
      if (known === undefined) strings.set(field, field);
      else record[key] = known;
    }
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const entry = value as Record<string, unknown>;
  share(entry);
  const notes = entry.annotations;
  if (typeof notes === "object" && notes !== null && !Array.isArray(notes)) {
    share(notes as Record<string, unknown>);
  }
  return value;
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
  return decoder.decode(buffer.subarray(0, filled));
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
  /** This view's read of index.json in progress, shared by the lookups that come meanwhile. */
  #reading?: Promise<Seen>;

  /** A view of the index.json in the layout at `dir`; nothing is read until asked. */
  constructor(dir: string) {
    this.#dir = dir;
  }

  get #path(): string {
    return `${this.#dir}/index.json`;
  }

  /** The index's descriptors, read-only (do not change what it returns). */
  async manifests(): Promise<readonly Descriptor[]> {
    return (await this.#view()).items.map((item) => item.value() as Descriptor);
  }

  /** The descriptor the index names `reference` by, if any (read-only). */
  async named(reference: string): Promise<Descriptor | undefined> {
    const view = await this.#view();
    if (!view.byRef) {
      view.byRef = new Map();
      for (const item of view.items) {
        if (item.ref !== undefined && !view.byRef.has(item.ref)) view.byRef.set(item.ref, item);
      }
    }
    return view.byRef.get(reference)?.value() as Descriptor | undefined;
  }

  /** The first descriptor of the manifest `digest` in the index, if any (read-only). */
  async withDigest(digest: string): Promise<Descriptor | undefined> {
    return (await this.#view()).items.find((item) => item.digest === digest)?.value() as
      | Descriptor
      | undefined;
  }

  /** The kept index, when index.json is still the file it was read from or written as. */
  #unchanged(): Seen | undefined {
    const last = this.#seen;
    const now = statIndex(this.#path);
    return now && last?.info && sameFile(now, last.info) ? last : undefined;
  }

  /** The kept index when index.json is still the file it was read from; else read again. */
  async #view(): Promise<Seen> {
    // While this view replaces the file, it has changed and `#seen` not yet: wait, or a bulk
    // pull's readers would each read and parse the whole new file again.
    if (this.#writing) await this.#writing;
    const unchanged = this.#unchanged();
    if (unchanged) return unchanged;
    // A read under way serves this lookup too, once kept and while the file is still the one it
    // read: the first lookups of a bulk push start together (8 at once), and each read and parsed
    // the whole index, all of them alive at once (10,000 entries: ~90 MB, the push's peak).
    if (this.#reading) {
      const shared = await this.#reading.catch(() => undefined);
      if (shared && shared === this.#unchanged()) return shared;
    }
    const reading = this.#readAndKeep();
    this.#reading = reading;
    try {
      return await reading;
    } finally {
      if (this.#reading === reading) this.#reading = undefined;
    }
  }

  /** Reads index.json and keeps what it read, unless this view wrote the index meanwhile. */
  async #readAndKeep(): Promise<Seen> {
    const last = this.#seen;
    const view = await this.#read();
    // Not kept when this view wrote the index meanwhile: its own view is the newer one then.
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
      if (error instanceof Deno.errors.NotFound) return seenOf(emptyIndex());
      throw error;
    }
    try {
      const info = await file.stat();
      const seen = seenOf(parseIndex(this.#path, await readOpen(file, info.size)));
      if (canHold) return { file, info, ...seen };
      file.close();
      return seen;
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
   * Applies `change` to index.json while holding the index lock, and replaces the file whole.
   * `change` gets the index parsed (a copy of the list of entries, never one a reader holds) and
   * must not change the entries themselves; entries it keeps are written from the text they had.
   * For a change to a big index, `edit` costs less: it parses no entry.
   */
  async update<T>(change: (index: LayoutIndex) => T): Promise<T> {
    return await this.edit((items, head) => {
      const values = items.map((item) => item.value());
      const kept = new Map<unknown, IndexItem>();
      values.forEach((value, i) => {
        if (typeof value === "object" && value !== null) kept.set(value, items[i]);
      });
      const index = { ...head, manifests: values as Descriptor[] };
      const result = change(index);
      const changed = index.manifests.map((value) => kept.get(value) ?? new IndexItem(value));
      return { items: changed, result, head: { ...index, manifests: [] } };
    });
  }

  /**
   * Replaces the entries of index.json with those `change` returns (given those it has: do not
   * change the list), while holding the index lock, and replaces the file whole. The index is
   * parsed again only when the file is not the one this view last read or wrote (a tag of a pull
   * of thousands of refs changes a few entries of a big index).
   */
  async edit<T>(
    change: (items: readonly IndexItem[], head: LayoutIndex) => {
      items: readonly IndexItem[];
      result: T;
      head?: LayoutIndex;
    },
  ): Promise<T> {
    return await withLock(`${this.#dir}/.index.lock`, async () => {
      const current = this.#unchanged() ?? seenOf(await readIndex(this.#dir));
      const { items, result, head = current.head } = change(current.items, current.head);
      const text = { chunks: utf8Chunks(piecesOf(head, items), chunkSize(current.info?.size)) };
      const { promise: written, resolve } = Promise.withResolvers<void>();
      this.#writing = written;
      try {
        const file = await replaceFile(this.#path, text, {
          temp: tempPath(this.#dir),
          keepOpen: true,
        });
        try {
          const info = await file.stat(); // as renamed (a rename changes its ctime)
          if (canHold) this.#keep({ file, info, head, items });
          else file.close();
        } catch (error) {
          file.close();
          this.#keep({ head, items });
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

/**
 * `IndexView.update` through a view of its own (closed when done): for a change made once, by
 * code that keeps no view of the layout.
 */
export async function updateIndex<T>(dir: string, change: (index: LayoutIndex) => T): Promise<T> {
  using view = new IndexView(dir);
  return await view.update(change);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** `JSON.stringify(index, null, 2) + "\n"`, byte for byte. */
export function indexText(index: LayoutIndex): string {
  return [...indexPieces(index)].map((piece) =>
    typeof piece === "string" ? piece : decoder.decode(piece)
  ).join("");
}

/**
 * `indexText` in pieces (each entry of `manifests` a piece): index.json is written piece by piece
 * (see `utf8Chunks`), so a rewrite of a big index never holds its whole text, and its bytes, in
 * memory at once; a bulk pull rewrites the index dozens of times.
 */
export function indexPieces(index: LayoutIndex): Generator<string | Uint8Array> {
  return piecesOf(index, index.manifests.map((entry) => new IndexItem(entry)));
}

/**
 * The pieces of index.json with the fields of `head` (its `manifests` not read) and the entries
 * `items`, each as its bytes (made on its first write, kept from then on: see `IndexItem`).
 */
function* piecesOf(head: LayoutIndex, items: readonly IndexItem[]): Generator<string | Uint8Array> {
  let fields = 0;
  for (const [key, value] of Object.entries(head)) {
    if (value === undefined || typeof value === "function" || typeof value === "symbol") continue;
    yield `${fields++ ? ",\n  " : "{\n  "}${JSON.stringify(key)}: `;
    if (key === "manifests" && Array.isArray(value)) yield* manifestsPieces(items);
    else yield JSON.stringify(value, null, 2).replaceAll("\n", "\n  ");
  }
  yield fields ? "\n}\n" : "{}\n";
}

/**
 * The entries' pieces: each entry's bytes, and the separator before it (as bytes: made once, not
 * encoded again for each of a big index's entries at each rewrite).
 */
function* manifestsPieces(items: readonly IndexItem[]): Generator<string | Uint8Array> {
  if (!items.length) return yield "[]";
  for (let i = 0; i < items.length; i++) {
    yield i ? entrySeparator : "[\n    ";
    yield items[i].bytes();
  }
  yield "\n  ]";
}

const entrySeparator = encoder.encode(",\n    ");

/**
 * An entry's text as it stands in `manifests` (indented by four). Cut out of the text of
 * `{ m: [entry] }` rather than indented with `replaceAll`, whose result V8 keeps as a tree of a
 * few dozen joined pieces: kept for every entry of a big index, the pieces cost more than the
 * text.
 */
function entryText(entry: unknown): string {
  const whole = JSON.stringify({ m: [entry ?? null] }, null, 2);
  return whole.slice(entryStart, whole.length - entryEnd);
}

/** Where an entry's text starts and how far before the end it ends in `{ m: [entry] }`. */
const entryStart = '{\n  "m": [\n    '.length;
const entryEnd = "\n  ]\n}".length;

/**
 * The chunks index.json is written in, for an index that was `size` bytes: 64 KiB for a few refs,
 * up to 1 MiB for thousands. Each chunk is an async write whose answer waits its turn among a
 * bulk pull's transfers: a rewrite of 10,000 refs (~6 MiB) in 64 KiB chunks took 1.2-1.8 times as
 * long as in chunks of up to 1 MiB, and up to twice as many tags waited for the next rewrite (see
 * `OciLayout.tag`'s rest, ten times the last one's time).
 */
function chunkSize(size = 0): number {
  return Math.min(Math.max(size, 64 * 1024), 1024 * 1024);
}

/**
 * Text pieces (strings, or bytes of UTF-8 text) as UTF-8 in chunks of up to `size` bytes (for
 * index.json, see `chunkSize`), each a view of one buffer that the next chunk is made in again: a
 * chunk must be used (written) before the next is asked for. A rewrite of a big index makes no new
 * bytes per chunk, where a new array per chunk made a bulk pull's dozens of rewrites hundreds of
 * MiB of short-lived buffers outside the JS heap.
 */
export function* utf8Chunks(
  pieces: Iterable<string | Uint8Array>,
  size: number,
): Generator<Uint8Array> {
  const buffer = new Uint8Array(size);
  let filled = 0;
  for (const piece of pieces) {
    // A UTF-16 code unit is at most 3 bytes of UTF-8 (a surrogate pair, 2 units, is 4).
    const most = typeof piece === "string" ? piece.length * 3 : piece.byteLength;
    if (filled + most > size && filled > 0) {
      yield buffer.subarray(0, filled);
      filled = 0;
    }
    if (most > size) { // bigger than the buffer: apart
      yield typeof piece === "string" ? encoder.encode(piece) : piece;
    } else if (typeof piece === "string") {
      filled += encoder.encodeInto(piece, buffer.subarray(filled)).written;
    } else {
      buffer.set(piece, filled);
      filled += piece.byteLength;
    }
  }
  if (filled) yield buffer.subarray(0, filled);
}
