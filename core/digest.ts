/**
 * Hashing while streaming: transform streams that compute sha256 and size of what passes through,
 * and one that refuses content not matching its descriptor.
 * @module
 */
import { createHash } from "node:crypto";
import { DigestError } from "./errors.ts";
import type { Descriptor } from "./oci/descriptor.ts";

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
  const hash = createHash("sha256");
  let size = 0;
  const { promise, resolve, reject } = Promise.withResolvers<Measured>();
  promise.catch(() => {});
  const stream = new TransformStream<Uint8Array, Uint8Array>({
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
  const hash = createHash("sha256");
  let size = 0;
  return new TransformStream<Uint8Array, Uint8Array>({
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
