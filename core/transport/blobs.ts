/**
 * Blobs in a registry repository: HEAD to see what is there, GET as a verified stream that
 * resumes with `Range` when the connection drops, DELETE.
 * @module
 */
import { type ChunkReads, sizedReader, verifyingStream } from "../digest.ts";
import { DigestError, RegistryError } from "../errors.ts";
import { type Descriptor, oversized, verifyBytes } from "../oci/descriptor.ts";
import { type RegistryClient, scope } from "./client.ts";
import { ReadTimeout } from "./http.ts";
import { bodyRead } from "./timed_fetch.ts";
import { blobPath } from "./paths.ts";

/** How many times one download is resumed after its connection dropped. */
const maxResumes = 3;

/** Whether the repository holds the blob (a HEAD; a size that differs counts as absent). */
export async function blobExists(
  client: RegistryClient,
  repository: string,
  desc: Descriptor,
): Promise<boolean> {
  const response = await client.call({
    method: "HEAD",
    url: blobPath(repository, desc.digest),
    scopes: [scope(repository, "pull")],
    what: `checking blob ${desc.digest} in ${repository}`,
    accept: [404],
  });
  if (response.status === 404) return false;
  const length = response.headers.get("content-length");
  return length === null || Number(length) === desc.size;
}

/** The offset a partial response starts at (`Content-Range: bytes 100-199/200`), if any. */
function rangeStart(response: Response): number | undefined {
  const match = /^bytes (\d+)-/.exec(response.headers.get("content-range") ?? "");
  return match ? Number(match[1]) : undefined;
}

/** Drops the first `count` bytes of a stream (a server that ignored our `Range`). */
function skipBytes(count: number): TransformStream<Uint8Array, Uint8Array> {
  let left = count;
  return new TransformStream({
    transform(chunk, controller) {
      if (left >= chunk.byteLength) {
        left -= chunk.byteLength;
        return;
      }
      controller.enqueue(left ? chunk.subarray(left) : chunk);
      left = 0;
    },
  });
}

/** Reads a blob's bytes in order, resuming a dropped download; `undefined` once all arrived. */
type ChunkReader = {
  read(): Promise<Uint8Array | undefined>;
  cancel(reason?: unknown): Promise<void>;
};

/**
 * The chunks of a blob as the registry sends them. A connection that drops (or a body that ends
 * short) is resumed from where it stopped with a `Range` request, a few times at most; a body
 * longer than announced is refused before it is read. The bytes are not verified here. With
 * `whole`, the caller reads them all at once (see `RegistryRequest.whole`).
 */
async function blobChunks(
  client: RegistryClient,
  repository: string,
  desc: Descriptor,
  whole = false,
): Promise<ChunkReader> {
  const what = `fetching blob ${desc.digest} from ${repository}`;
  let response: Response | undefined;
  const open = async (offset: number): Promise<ReadableStream<Uint8Array>> => {
    if (response) bodyRead(response);
    response = await client.request({
      method: "GET",
      url: blobPath(repository, desc.digest),
      headers: offset ? { range: `bytes=${offset}-` } : {},
      scopes: [scope(repository, "pull")],
      what,
      whole,
    });
    const length = response.headers.get("content-length");
    const partial = response.status === 206 && rangeStart(response) === offset;
    if (response.status === 206 && !partial) {
      await response.body?.cancel();
      throw new RegistryError(
        `${client.registry}: answered a range of blob ${desc.digest} not starting at ${offset}`,
        206,
      );
    }
    // A 206 carries the rest from `offset`; a 200 (a Range ignored) the whole blob again.
    const expected = partial ? desc.size - offset : desc.size;
    if (length !== null && Number(length) !== expected) {
      await response.body?.cancel();
      const which = !offset
        ? ""
        : partial
        ? ` (the rest from byte ${offset} of ${desc.size})`
        : ` (the whole blob: the range request got HTTP ${response.status})`;
      throw new DigestError(
        `${client.registry} announced ${length} bytes for blob ${desc.digest}, expected ` +
          `${expected}${which}`,
      );
    }
    const body = response.body ?? ReadableStream.from<Uint8Array>([]);
    return offset && !partial ? body.pipeThrough(skipBytes(offset)) : body;
  };

  // Read whole, the body is read into buffers of its size (see `sizedReader`).
  const readerOf = (body: ReadableStream<Uint8Array>): ChunkReads =>
    whole ? sizedReader(body, desc.size - received) : body.getReader();
  let received = 0;
  let reader = readerOf(await open(0));
  let resumes = 0;
  return {
    async read() {
      for (;;) {
        let dropped: unknown;
        try {
          const { done, value } = await reader.read();
          if (!done) {
            received += value.byteLength;
            return value;
          }
          if (received >= desc.size) {
            bodyRead(response!);
            return undefined;
          }
        } catch (error) {
          dropped = error;
        }
        if (received > desc.size || resumes++ >= maxResumes) {
          throw new RegistryError(
            `${client.registry}: download of blob ${desc.digest} was cut off at ${received} of ` +
              `${desc.size} bytes${resumes > 1 ? ` (after ${resumes - 1} resumes)` : ""}` +
              (dropped instanceof ReadTimeout ? `: ${dropped.detail}` : ""),
            0,
            undefined,
            { cause: dropped },
          );
        }
        await reader.cancel().catch(() => {});
        reader = readerOf(await open(received));
      }
    },
    cancel: (reason) => {
      bodyRead(response!);
      return reader.cancel(reason);
    },
  };
}

/**
 * Streams a blob, verified against `desc` (size and digest) while it is read; a dropped download
 * resumes (see `blobChunks`).
 */
export async function fetchBlob(
  client: RegistryClient,
  repository: string,
  desc: Descriptor,
): Promise<ReadableStream<Uint8Array>> {
  const chunks = await blobChunks(client, repository, desc);
  const resumable = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const chunk = await chunks.read();
      if (chunk) controller.enqueue(chunk);
      else controller.close();
    },
    cancel: (reason) => chunks.cancel(reason),
  });
  return resumable.pipeThrough(verifyingStream(desc));
}

/**
 * A blob read whole into memory and verified (size and digest) before it is returned: for small
 * blobs, where a stream per blob costs more than the bytes. A dropped download resumes (see
 * `blobChunks`); a body longer than `desc.size` is refused as soon as it passes it.
 */
export async function fetchBlobBytes(
  client: RegistryClient,
  repository: string,
  desc: Descriptor,
): Promise<Uint8Array> {
  const chunks = await blobChunks(client, repository, desc, true);
  const bytes = new Uint8Array(desc.size);
  let filled = 0;
  for (let chunk = await chunks.read(); chunk; chunk = await chunks.read()) {
    if (filled + chunk.byteLength > desc.size) {
      await chunks.cancel().catch(() => {});
      throw oversized(desc);
    }
    bytes.set(chunk, filled);
    filled += chunk.byteLength;
  }
  await verifyBytes(desc, bytes.subarray(0, filled));
  return bytes;
}
