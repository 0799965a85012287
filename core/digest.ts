/**
 * Hashing while streaming: transform streams that compute sha256 and size of what passes through,
 * and one that refuses content not matching its descriptor.
 * @module
 */
import type { Hash } from "node:crypto";
import { DigestError } from "./errors.ts";
import { type Descriptor, digestOf, oversized } from "./oci/descriptor.ts";
import { type Fetcher, isBytesFetcher, type PushOptions } from "./target.ts";

/**
 * Content up to this size is hashed in one call at its end (`digestOf`: Web Crypto, or JavaScript
 * for small buffers once a process has hashed many); past it, the bytes so far and the rest stream
 * through `node:crypto`. Loading `node:crypto` loads Deno's Node layer
 * (~25 ms of CPU, more than a whole empty `deno run`), more than hashing a MiB costs.
 */
const oneShotLimit = 1 << 20;

/**
 * A sha256 of bytes given in pieces: kept (copied) while they fit in `oneShotLimit`, then fed to a
 * streaming `node:crypto` hash, imported on first need.
 */
class Sha256 {
  #held: Uint8Array[] = [];
  #heldSize = 0;
  #hash?: Hash;

  /** Adds `bytes`; a promise only when `node:crypto` must be imported first. */
  update(bytes: Uint8Array): void | Promise<void> {
    if (this.#hash) {
      this.#hash.update(bytes);
    } else if (this.#heldSize + bytes.byteLength <= oneShotLimit) {
      this.#held.push(bytes.slice());
      this.#heldSize += bytes.byteLength;
    } else {
      return import("node:crypto").then(({ createHash }) => {
        this.#hash = createHash("sha256");
        for (const held of this.#held) this.#hash.update(held);
        this.#held = [];
        this.#hash.update(bytes);
      });
    }
  }

  /** The digest as `sha256:<hex>`. */
  async digest(): Promise<string> {
    if (this.#hash) return "sha256:" + this.#hash.digest("hex");
    const all = new Uint8Array(this.#heldSize);
    let offset = 0;
    for (const held of this.#held) {
      all.set(held, offset);
      offset += held.byteLength;
    }
    return await digestOf(all);
  }
}

/** What a hashing stream measured once it has been read to the end. */
export interface Measured {
  digest: string;
  size: number;
}

/** A pass-through stream that hashes its bytes; `measured` resolves when the stream ends. */
export function hashingStream(): {
  stream: TransformStream<Uint8Array, Uint8Array>;
  measured: Promise<Measured>;
} {
  const hash = new Sha256();
  let size = 0;
  const { promise, resolve, reject } = Promise.withResolvers<Measured>();
  promise.catch(() => {});
  const stream = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      size += chunk.byteLength;
      const pending = hash.update(chunk);
      if (pending) return pending.then(() => controller.enqueue(chunk));
      controller.enqueue(chunk);
    },
    async flush() {
      resolve({ digest: await hash.digest(), size });
    },
    cancel(reason) {
      reject(reason);
    },
  });
  return { stream, measured: promise };
}

/**
 * A pass-through stream that errors as soon as more than `desc.size` bytes arrive, and at the end
 * when the size or the sha256 digest differ from `desc`. Readers never see unverified success.
 */
export function verifyingStream(desc: Descriptor): TransformStream<Uint8Array, Uint8Array> {
  const hash = new Sha256();
  let size = 0;
  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      size += chunk.byteLength;
      if (size > desc.size) {
        throw oversized(desc);
      }
      const pending = hash.update(chunk);
      if (pending) return pending.then(() => controller.enqueue(chunk));
      controller.enqueue(chunk);
    },
    async flush() {
      if (size !== desc.size) {
        throw new DigestError(
          `size mismatch for ${desc.digest}: expected ${desc.size} bytes, got ${size}`,
        );
      }
      const actual = await hash.digest();
      if (actual !== desc.digest) {
        throw new DigestError(`digest mismatch: expected ${desc.digest}, got ${actual}`);
      }
    },
  });
}

/**
 * `content` as it must reach a store: verified against `desc` as it is read, unless `verified`
 * says a target's `fetch` (which verifies) produced it.
 */
export function checked(
  desc: Descriptor,
  content: ReadableStream<Uint8Array>,
  { verified = false }: PushOptions = {},
): ReadableStream<Uint8Array> {
  return verified ? content : content.pipeThrough(verifyingStream(desc));
}

function tooLarge(limit: number): DigestError {
  return new DigestError(`content larger than the ${limit} bytes allowed`);
}

/** Streams made by `streamOf` and not read yet, with the bytes each holds (see `readAll`). */
const unread = new WeakMap<ReadableStream<Uint8Array>, Uint8Array>();

/**
 * A stream of `bytes`, for bytes in hand that go where a stream is asked for (a small blob read
 * whole, handed to a target): `readAll` of it takes `bytes` themselves, without a stream's reads
 * and copies, unless something read from it before.
 */
export function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  const stream: ReadableStream<Uint8Array> = new ReadableStream({
    pull(controller) {
      unread.delete(stream);
      controller.enqueue(bytes);
      controller.close();
    },
  }, { highWaterMark: 0 });
  unread.set(stream, bytes);
  return stream;
}

/**
 * Reads a whole stream of at most `limit` bytes into memory (for manifests and configs). A stream
 * of `streamOf` gives its bytes as they are (not a copy). With `size`, what the stream announced
 * (a response's `Content-Length`), a byte stream is read into a buffer of that size (see
 * `sizedReader`).
 */
export async function readAll(
  stream: ReadableStream<Uint8Array>,
  limit: number,
  size?: number,
): Promise<Uint8Array> {
  const held = unread.get(stream);
  if (held && !stream.locked) {
    unread.delete(stream);
    if (held.byteLength > limit) throw tooLarge(limit);
    return held;
  }
  const reader = size !== undefined && size <= limit
    ? sizedReader(stream, size)
    : stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      total += read.value.byteLength;
      if (total > limit) throw tooLarge(limit);
      chunks.push(read.value);
    }
  } catch (error) {
    await reader.cancel(error).catch(() => {});
    throw error;
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** What `sizedReader` gives: the reads of a default reader, and its cancel. */
export interface ChunkReads {
  /** The next chunk, or `done`. */
  read(): Promise<ReadableStreamReadResult<Uint8Array>>;
  /** Stops reading, cancelling the stream. */
  cancel(reason?: unknown): Promise<void>;
}

/**
 * Reads `stream`, a body announced as `size` bytes: where it is a byte stream (a fetch body), each
 * read fills a new buffer of what is left of it and one byte more (so a longer body shows), at
 * most 64 KiB; else its own chunks. A fetch body read by a default reader gives every chunk in a
 * new 64 KiB buffer, however small the body: a bulk pull's manifests and small blobs (a few
 * hundred bytes to a few KiB each, three per chart) made ~30 MB of such buffers a second, memory
 * outside the JS heap held until the garbage collector freed their owners.
 */
export function sizedReader(stream: ReadableStream<Uint8Array>, size: number): ChunkReads {
  let byob: ReadableStreamBYOBReader;
  try {
    byob = stream.getReader({ mode: "byob" });
  } catch {
    return stream.getReader(); // not a byte stream
  }
  let left = size + 1;
  return {
    read: async () => {
      const { done, value } = await byob.read(new Uint8Array(Math.min(Math.max(left, 1), 65536)));
      if (done || !value) return { done: true, value: undefined };
      left -= value.byteLength;
      return { done: false, value };
    },
    cancel: (reason) => byob.cancel(reason),
  };
}

/**
 * The content `desc` names in `src`, read whole (at most `limit` bytes) and verified: without a
 * stream where the target reads small blobs whole (see `BytesFetcher`).
 */
export async function readSmall(
  src: Fetcher,
  desc: Descriptor,
  limit: number,
): Promise<Uint8Array> {
  const whole = desc.size <= limit && isBytesFetcher(src) ? await src.fetchBytes(desc) : undefined;
  return whole ?? await readAll(await src.fetch(desc), limit);
}
