/**
 * An OCI image layout on disk (`oci-layout`, `index.json`, `blobs/sha256/`) as a Target. The local
 * chart cache is one; refs are `org.opencontainers.image.ref.name` annotations holding the full
 * reference, so skopeo and oras read it. Blobs are written to a temp file and renamed; index.json
 * is replaced whole under a lock; garbage collection waits for writers.
 * @module
 */
import {
  moveIntoPlace,
  moveIntoPlaceSync,
  replaceFile,
  writeTemp,
  writeTempSync,
} from "../write_file.ts";
import { chartParts } from "../chart/manifest.ts";
import { checked, hashingStream, readAll, readSmall, verifyingStream } from "../digest.ts";
import { CacheError, RegistryError } from "../errors.ts";
import {
  decodeManifest,
  type Descriptor,
  type Manifest,
  maxManifestSize,
  oversized,
  verifyBytes,
} from "../oci/descriptor.ts";
import { annotations, ociLayoutVersion, ociManifest } from "../oci/media_types.ts";
import { cacheDir } from "../paths.ts";
import {
  type BytesFetcher,
  type Holder,
  type Ingester,
  type PushOptions,
  type StagedBlob,
  type Stager,
  type TagOptions,
  type Target,
  wholeBlobSize,
} from "../target.ts";
import { checkFolders, cleanTemps, removeOwnTemps, tempDir, tempPath } from "./_files.ts";
import { type BlobReader, folderBlobs } from "./blob_reader.ts";
import { onInterrupt } from "../interrupt.ts";
import { IndexView, withRefs } from "./_index.ts";
import { type IndexEntry, namedEntries, readIndex } from "./index_file.ts";
import { type Lock, lockFile, readLock } from "./lock.ts";

/** What a garbage collection removed. */
export interface CollectResult {
  /** How many blobs were deleted. */
  blobs: number;
  /** How many temp files of interrupted writes (by processes now gone) were deleted. */
  temps: number;
  /** How many bytes were freed (blobs and those temp files). */
  bytes: number;
}

/**
 * After a write of tags into index.json, a next write of only patient tags (see `#writeTags`)
 * waits this many times as long as the write took: rewriting the index takes at most
 * 1/(1 + tagRest) of a bulk pull's time, however big the index grows.
 */
const tagRest = 10;

const digestPattern = /^sha256:[a-f0-9]{64}$/;

/** A tag waiting to be written into index.json. */
interface PendingTag {
  reference: string;
  entry: Descriptor;
  /** The caller let its transfer slot go (`TagOptions.queued`): more tags are coming. */
  patient: boolean;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** The hex of a `sha256:` digest; a `CacheError` for any other digest. */
function hexOf(digest: string): string {
  if (!digestPattern.test(digest)) throw new CacheError(`unsupported digest "${digest}"`);
  return digest.slice("sha256:".length);
}

/** A stream of `bytes` that errors instead when they do not match `desc`. */
function verifiedWhole(desc: Descriptor, bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    async pull(controller) {
      await verifyWhole(desc, bytes);
      controller.enqueue(bytes);
      controller.close();
    },
  });
}

/** Throws a `DigestError` unless `bytes` (read up to one byte past `desc.size`) match `desc`. */
async function verifyWhole(desc: Descriptor, bytes: Uint8Array): Promise<void> {
  if (bytes.byteLength > desc.size) {
    throw oversized(desc);
  }
  await verifyBytes(desc, bytes);
}

/**
 * An OCI image layout directory, usable as a Target. It keeps index.json parsed, with that file
 * held open, between lookups: dispose it (`using layout = await OciLayout.open(dir)`) to close it.
 */
export class OciLayout implements Target, BytesFetcher, Stager, Holder, Ingester, Disposable {
  /** The layout's root directory. */
  readonly dir: string;
  /** index.json as this layout last read or wrote it. */
  readonly #index: IndexView;
  #writers?: Promise<Lock>;
  #holds = 0;
  #ready?: Promise<void>;
  /** Dead writers' temp files this process cleared when it first wrote: `collect` counts them. */
  #cleared = { files: 0, bytes: 0 };
  #exclusive = false;

  /** How messages name the layout: "the cache", or the layout's own name (`oci:DIR`). */
  readonly label: string;

  /** Opened only to read (a copy's source): nothing is ever created or changed in `dir`. */
  readonly readOnly: boolean;

  /** Where blobs are read from. */
  readonly #blobs: BlobReader;

  private constructor(dir: string, label: string, readOnly: boolean, blobs?: BlobReader) {
    this.dir = dir;
    this.label = label;
    this.readOnly = readOnly;
    this.#index = new IndexView(dir);
    this.#blobs = blobs ?? folderBlobs(dir);
  }

  /**
   * Closes the index.json this layout holds open (see `OciLayout`); the layout stays usable, and
   * reads index.json again when next asked.
   */
  [Symbol.dispose](): void {
    this.#index[Symbol.dispose]();
  }

  /**
   * Opens the layout at `dir`; nothing is created until the first write. `label` names it in
   * messages (default "the cache"). With `readOnly`, the layout is only read: no file is created
   * or changed in it (not even a lock file; see `hold`), and a write is refused. With `blobs`
   * (a layout archive read in place), blobs are read from there; new ones are still written into
   * `dir`, so `blobs` should read those too.
   */
  static open(
    dir: string,
    label = "the cache",
    options: { readOnly?: boolean; blobs?: BlobReader } = {},
  ): Promise<OciLayout> {
    return Promise.resolve(new OciLayout(dir, label, options.readOnly === true, options.blobs));
  }

  /** Where the blob with this digest lives. */
  blobPath(digest: string): string {
    return `${this.dir}/blobs/sha256/${hexOf(digest)}`;
  }

  /** Resolves a full ref, `repo@sha256:...` or a bare digest to its manifest descriptor. */
  async resolve(reference: string): Promise<Descriptor> {
    const named = await this.#index.named(reference);
    if (named) return { ...named };
    const digest = reference.startsWith("sha256:") ? reference : reference.split("@")[1];
    if (digest && digestPattern.test(digest)) {
      const indexed = await this.#index.withDigest(digest);
      if (indexed) return { ...indexed };
      const size = this.#blobs.size(hexOf(digest));
      if (size !== undefined) return { mediaType: ociManifest, digest, size };
    }
    throw new CacheError(`chart "${reference}" not found in ${this.label}`);
  }

  /**
   * Streams a blob, verified against `desc` while it is read (a small one is read whole and
   * verified before its bytes are handed on).
   */
  async fetch(desc: Descriptor): Promise<ReadableStream<Uint8Array>> {
    try {
      if (desc.size <= wholeBlobSize) return verifiedWhole(desc, this.#readCapped(desc));
      const stream = await this.#blobs.open(hexOf(desc.digest));
      return stream.pipeThrough(verifyingStream(desc));
    } catch (error) {
      throw this.#missing(desc, error);
    }
  }

  /** A blob up to `wholeBlobSize` read whole and verified; undefined for a larger one. */
  async fetchBytes(desc: Descriptor): Promise<Uint8Array | undefined> {
    if (desc.size > wholeBlobSize) return undefined;
    let bytes: Uint8Array;
    try {
      bytes = this.#readCapped(desc);
    } catch (error) {
      throw this.#missing(desc, error);
    }
    await verifyWhole(desc, bytes);
    return bytes;
  }

  /** The blob `desc` names, read up to one byte past its size (to tell a longer one). */
  #readCapped(desc: Descriptor): Uint8Array {
    return this.#blobs.read(hexOf(desc.digest), desc.size + 1);
  }

  /** A read's failure as thrown: a missing blob is a `CacheError` naming it and the cache. */
  #missing(desc: Descriptor, error: unknown): unknown {
    return error instanceof Deno.errors.NotFound
      ? new CacheError(
        this.label === "the cache"
          ? `blob ${desc.digest} is missing from the cache (${this.dir})`
          : `blob ${desc.digest} is missing from ${this.label}`,
      )
      : error;
  }

  /**
   * Whether the blob is present with the right size. Within a `hold()`, a blob found stays until
   * the hold ends (other processes' `collect` waits), so a write relying on the answer stays whole.
   * A synchronous stat: a push or pull asks several times per chart, and an async call's hop to a
   * worker thread costs more than the stat.
   */
  exists(desc: Descriptor): Promise<boolean> {
    return Promise.resolve(this.#blobs.size(hexOf(desc.digest)) === desc.size);
  }

  /**
   * Keeps other processes' `collect` away until the returned handle is disposed, so every blob
   * seen or written meanwhile stays: for a sequence of calls that rely on one another (`copy`
   * holds its source and destination). Holds nest; the lock is released when the last one ends.
   */
  async hold(): Promise<AsyncDisposable> {
    if (!this.readOnly) await this.#ensureLayout();
    this.#holds++;
    try {
      if (!this.#exclusive) {
        // A reader takes the shared lock only where one exists and can be opened read-only.
        this.#writers ??= this.readOnly
          ? readLock(`${this.dir}/.gc.lock`).then((lock) => lock ?? { release() {} })
          : lockFile(`${this.dir}/.gc.lock`, false);
        await this.#writers;
      }
    } catch (error) {
      await this.#release();
      throw error;
    }
    let ended = false;
    return {
      [Symbol.asyncDispose]: async () => {
        if (ended) return;
        ended = true;
        await this.#release();
      },
    };
  }

  async #release(): Promise<void> {
    if (--this.#holds > 0) return;
    const writers = this.#writers;
    this.#writers = undefined;
    (await writers?.catch(() => undefined))?.release();
  }

  /** Stores a blob whose digest is known; content not matching `desc` is never stored. */
  async push(
    desc: Descriptor,
    content: ReadableStream<Uint8Array>,
    options: PushOptions = {},
  ): Promise<void> {
    await (await this.stage(desc, content, options)).commit();
  }

  /**
   * Stores a blob in a temp file, verified against `desc`; it appears only on `commit`. A large
   * blob held already is not written again; a small one (`wholeBlobSize` at most) is not looked
   * for first: a pull stages only blobs it found missing, and for those the look was a failed
   * stat (a thrown NotFound) per blob, where writing the few bytes again is rare and harmless
   * (the same bytes, renamed into place).
   */
  async stage(
    desc: Descriptor,
    content: ReadableStream<Uint8Array>,
    options: PushOptions = {},
  ): Promise<StagedBlob> {
    this.#writable();
    const held = await this.hold();
    try {
      const small = desc.size <= wholeBlobSize;
      if (!small && await this.exists(desc)) {
        await content.cancel();
        await held[Symbol.asyncDispose]();
        return { commit: () => Promise.resolve(), discard: () => Promise.resolve() };
      }
      const verified = checked(desc, content, options);
      const tmp = small
        ? this.#writeSmallTemp(await readAll(verified, desc.size))
        : await this.#writeTemp(verified);
      // A small blob's temp file is renamed with a synchronous call too (see `#writeSmallTemp`).
      const move = small ? moveIntoPlaceSync : moveIntoPlace;
      return {
        commit: () =>
          move(tmp, this.blobPath(desc.digest)).finally(() => held[Symbol.asyncDispose]()),
        discard: () => Deno.remove(tmp).catch(() => {}).finally(() => held[Symbol.asyncDispose]()),
      };
    } catch (error) {
      await held[Symbol.asyncDispose]();
      throw error;
    }
  }

  /** Stores a blob whose digest is not known yet, hashing it on the way; returns its descriptor. */
  async ingest(content: ReadableStream<Uint8Array>, mediaType: string): Promise<Descriptor> {
    this.#writable();
    await using _held = await this.hold();
    const { stream, measured } = hashingStream();
    let desc: Descriptor | undefined;
    await this.#write(content.pipeThrough(stream), async () => {
      const { digest, size } = await measured;
      desc = { mediaType, digest, size };
      return this.blobPath(digest);
    });
    return desc!;
  }

  /**
   * Points `reference` at a stored manifest, replacing what it pointed at before; resolves once
   * index.json holds it. `options.queued` hears when the tag waits for its write (see `#writeTags`).
   */
  async tag(desc: Descriptor, reference: string, options: TagOptions = {}): Promise<void> {
    this.#writable();
    await using _held = await this.hold();
    const entry = await this.#indexEntry(desc, reference, options.manifest);
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const patient = options.queued !== undefined;
    this.#tags.push({ reference, entry, patient, resolve, reject });
    if (!patient) this.#wake?.();
    this.#writeTags();
    options.queued?.();
    await promise;
  }

  /** Tags waiting for the index to be written. */
  #tags: PendingTag[] = [];
  #tagging = false;
  /** When the next write of patient tags may start (`performance.now()` time). */
  #nextWrite = 0;
  /** Ends the rest before a write at once (a tag that is not patient arrived). */
  #wake?: () => void;
  /** No rest before the writes until the waiting tags are all written (see `flushTags`). */
  #flushing = false;

  /**
   * Writes the tags waiting for index.json without resting between writes: for a caller that
   * knows no more tags are coming (every transfer of a bulk pull has queued its tag or ended), so
   * the last batch is not held back for a rest that waits for others.
   */
  flushTags(): void {
    if (!this.#tagging) return;
    this.#flushing = true;
    this.#wake?.();
  }

  /**
   * Writes waiting tags into index.json, all those that arrived since the last write in one write
   * (a group commit: one lock and one rewrite for the batch). A bulk pull lets a ref's transfer
   * slot go once its tag is queued (`TagOptions.queued`: a patient tag), so transfers go on while
   * tags wait, and after a write that took `t` a batch of patient tags waits until `tagRest` × `t`
   * has passed: rewriting the index takes a bounded share of the time however big it grows, and
   * a pull of thousands of refs rewrites it dozens of times, not once per few refs. A tag that is
   * not patient (a single pull, a save) is written at once, with whatever waits. Each `tag`
   * resolves once its entry is in the file; the index lock is held only for each write.
   */
  async #writeTags(): Promise<void> {
    if (this.#tagging) return;
    this.#tagging = true;
    try {
      while (this.#tags.length) {
        const rest = this.#nextWrite - performance.now();
        if (rest > 0 && !this.#flushing && this.#tags.every((t) => t.patient)) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, rest);
            this.#wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          this.#wake = undefined;
        }
        const waiting = this.#tags.splice(0);
        const batch = new Map(waiting.map((t) => [t.reference, t.entry])); // the last one wins
        const start = performance.now();
        try {
          await this.#index.edit((items) => ({ items: withRefs(items, batch), result: undefined }));
          waiting.forEach((t) => t.resolve());
        } catch (error) {
          waiting.forEach((t) => t.reject(error));
        }
        const end = performance.now();
        this.#nextWrite = end + tagRest * (end - start);
      }
    } finally {
      this.#tagging = false;
      this.#flushing = false;
    }
  }

  /** Every reference in the layout. */
  async *tags(): AsyncIterable<string> {
    for (const entry of await this.entries()) yield entry.ref;
  }

  /** Removes every reference to this manifest, then collects what nothing needs any more. */
  async delete(desc: Descriptor): Promise<void> {
    this.#writable();
    await this.#index.edit((items) => ({
      items: items.filter((item) => item.digest !== desc.digest),
      result: undefined,
    }));
    await this.collect();
  }

  /** Removes one reference and returns what it pointed at; blobs stay until `collect`. */
  async untag(reference: string): Promise<Descriptor> {
    this.#writable();
    await this.#ensureLayout();
    return await this.#index.edit((items) => {
      const found = items.find((item) => item.ref === reference);
      if (!found) throw new CacheError(`chart "${reference}" not found in ${this.label}`);
      const result = { ...found.value() as Descriptor };
      return { items: items.filter((item) => item.ref !== reference), result };
    });
  }

  /** The named entries of the index, in ref order. */
  async entries(): Promise<IndexEntry[]> {
    return namedEntries(await this.#index.manifests());
  }

  /** Reads and parses a stored manifest. */
  async manifest(desc: Descriptor): Promise<Manifest> {
    return decodeManifest(await readSmall(this, desc, maxManifestSize), desc.mediaType);
  }

  /**
   * Deletes blobs no reference needs and temp files of dead writers. Waits until no other process
   * is writing to the cache. Must not run while this process has writes in flight.
   */
  collect(): Promise<CollectResult> {
    return this.exclusive(async () => {
      const live = new Set<string>();
      for (const desc of (await readIndex(this.dir)).manifests) {
        live.add(desc.digest);
        const manifest = await this.manifest(desc).catch(() => undefined);
        if (!manifest) continue;
        live.add(manifest.config.digest);
        for (const layer of manifest.layers) live.add(layer.digest);
      }
      // Writers of blobs cannot be running now, but index updates (remove) can: their temp files
      // live for milliseconds, so only a dead writer's or an old one is removed.
      const temps = await cleanTemps(this.dir, 60_000);
      const result: CollectResult = {
        blobs: 0,
        temps: temps.files + this.#cleared.files,
        bytes: temps.bytes + this.#cleared.bytes,
      };
      this.#cleared = { files: 0, bytes: 0 };
      for await (const entry of Deno.readDir(`${this.dir}/blobs/sha256`)) {
        if (live.has(`sha256:${entry.name}`) || !/^[a-f0-9]{64}$/.test(entry.name)) continue;
        const path = `${this.dir}/blobs/sha256/${entry.name}`;
        const info = await Deno.lstat(path).catch(() => undefined);
        if (!info || info.isDirectory) continue;
        await Deno.remove(path).catch(() => {});
        result.blobs++;
        result.bytes += info?.size ?? 0;
      }
      return result;
    });
  }

  /**
   * Runs `fn` while no other process writes to the cache (the GC lock held exclusively); `fn` may
   * call `collect`, `untag` and remove blobs, but not write new content. Must not run while this
   * process has writes in flight.
   */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    this.#writable();
    if (this.#exclusive) return await fn();
    await this.#ensureLayout();
    // flock locks of one process conflict too: this process's shared lock steps aside meanwhile.
    const writers = this.#writers;
    this.#writers = undefined;
    (await writers?.catch(() => undefined))?.release();
    const gc = await lockFile(`${this.dir}/.gc.lock`, true);
    this.#exclusive = true;
    try {
      return await fn();
    } finally {
      this.#exclusive = false;
      gc.release();
      if (this.#holds > 0) {
        this.#writers = lockFile(`${this.dir}/.gc.lock`, false);
        await this.#writers;
      }
    }
  }

  async #indexEntry(desc: Descriptor, reference: string, read?: Manifest): Promise<Descriptor> {
    const notes: Record<string, string> = { [annotations.refName]: reference };
    const manifest = read ?? await this.manifest(desc).catch((error) => {
      // An image index (a referrers tag schema list, say) is named as it is, without chart notes.
      if (error instanceof RegistryError && error.code === "MANIFEST_INVALID") return undefined;
      throw error;
    });
    if (!manifest) {
      return {
        mediaType: desc.mediaType,
        digest: desc.digest,
        size: desc.size,
        annotations: notes,
      };
    }
    for (const key of [annotations.created, annotations.title, annotations.version]) {
      const value = manifest.annotations?.[key];
      if (value !== undefined) notes[key] = value;
    }
    try {
      const parts = chartParts(manifest);
      notes[annotations.contentDigest] = parts.content.digest;
      notes[annotations.contentSize] = String(parts.content.size);
      if (!notes[annotations.title] || !notes[annotations.version]) {
        const config = JSON.parse(new TextDecoder().decode(
          await readSmall(this, parts.config, maxManifestSize),
        ));
        notes[annotations.title] ??= String(config.name ?? "");
        notes[annotations.version] ??= String(config.version ?? "");
      }
    } catch {
      // Not a chart: it is still a valid layout entry, listed without chart columns.
    }
    return { mediaType: desc.mediaType, digest: desc.digest, size: desc.size, annotations: notes };
  }

  /** Refuses a change to a layout opened read-only. */
  #writable(): void {
    if (this.readOnly) throw new CacheError(`${this.label} is opened read-only (a copy's source)`);
  }

  /** Creates the layout's files and folders on first write. */
  #ensureLayout(): Promise<void> {
    this.#writable();
    this.#ready ??= (async () => {
      await checkFolders(this.dir);
      await Deno.mkdir(`${this.dir}/blobs/sha256`, { recursive: true });
      await Deno.mkdir(tempDir(this.dir), { recursive: true });
      const marker = `${this.dir}/oci-layout`;
      if (!(await Deno.stat(marker).catch(() => undefined))) {
        await replaceFile(marker, JSON.stringify({ imageLayoutVersion: ociLayoutVersion }), {
          temp: tempPath(this.dir),
        });
      }
      if (!(await Deno.stat(`${this.dir}/index.json`).catch(() => undefined))) {
        await this.#index.update(() => {});
      }
      this.#cleared = await cleanTemps(this.dir);
      onInterrupt(() => removeOwnTemps(this.dir));
    })();
    return this.#ready;
  }

  async #write(
    content: ReadableStream<Uint8Array>,
    finalPath: () => string | Promise<string>,
  ): Promise<void> {
    const tmp = await this.#writeTemp(content);
    await moveIntoPlace(tmp, finalPath);
  }

  /**
   * Writes a small blob read whole to a new temp file with one synchronous call (async calls cost
   * more than the write on chart-sized blobs); returns its path; nothing is left on failure.
   */
  #writeSmallTemp(bytes: Uint8Array): string {
    const tmp = tempPath(this.dir);
    writeTempSync(tmp, bytes);
    return tmp;
  }

  /** Writes `content` to a new temp file and returns its path; nothing is left on failure. */
  async #writeTemp(content: ReadableStream<Uint8Array>): Promise<string> {
    await using _held = await this.hold();
    const tmp = tempPath(this.dir);
    await writeTemp(tmp, content);
    return tmp;
  }
}

/** Opens the local chart cache at `$HELM_HOME/registry`. */
export function openCache(): Promise<OciLayout> {
  return OciLayout.open(cacheDir());
}
