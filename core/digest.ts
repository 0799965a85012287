/**
 * Hashing while streaming: transform streams that compute sha256 and size of what passes through,
 * and one that refuses content not matching its descriptor.
 * @module
 */
import type { Hash } from "node:crypto";
import { DigestError } from "./errors.ts";
import type { Descriptor } from "./oci/descriptor.ts";
import type { PushOptions } from "./target.ts";

/** A streaming sha256 hash; `node:crypto` is imported on first use, as it slows every start. */
async function sha256(): Promise<Hash> {
  const { createHash } = await import("node:crypto");
  return createHash("sha256");
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
  let hash: Hash;
  let size = 0;
  const { promise, resolve, reject } = Promise.withResolvers<Measured>();
  promise.catch(() => {});
  const stream = new TransformStream<Uint8Array, Uint8Array>({
    async start() {
      hash = await sha256();
    },
    transform(chunk, controller) {
      hash.update(chunk);
      size += chunk.byteLength;
      controller.enqueue(chunk);
    },
    flush() {
      resolve({ digest: "sha256:" + hash.digest("hex"), size });
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
  let hash: Hash;
  let size = 0;
  return new TransformStream<Uint8Array, Uint8Array>({
    async start() {
      hash = await sha256();
    },
    transform(chunk, controller) {
      size += chunk.byteLength;
      if (size > desc.size) {
        throw new DigestError(
          `size mismatch for ${desc.digest}: more than the ${desc.size} bytes announced`,
        );
      }
      hash.update(chunk);
      controller.enqueue(chunk);
    },
    flush() {
      if (size !== desc.size) {
        throw new DigestError(
          `size mismatch for ${desc.digest}: expected ${desc.size} bytes, got ${size}`,
        );
      }
      const actual = "sha256:" + hash.digest("hex");
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

/** Reads a whole stream of at most `limit` bytes into memory (for manifests and configs). */
export async function readAll(
  stream: ReadableStream<Uint8Array>,
  limit: number,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.byteLength;
    if (size > limit) {
      throw new DigestError(`content larger than the ${limit} bytes allowed`);
    }
    chunks.push(chunk);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
