/**
 * The tar stream inside a .tgz stream, decompressed with the guards against gzip bombs: gzip
 * required, the input fed to the platform's decompressor in small pieces, at most so many bytes
 * out. Read through a reader, with no stream between the decompressor and its reader: a
 * `TransformStream` per guard cost ~45 µs per piece each, more than the chunk's decompression, on
 * a chart of thousands of small files.
 * @module
 */
import { ChartError, option, phrase } from "../errors.ts";
import { humanSize } from "../size.ts";

/** What reads bytes: a `ReadableStreamDefaultReader`'s `read` and `cancel`. */
export interface ByteReader {
  /** The next chunk, or `done` at the end. */
  read(): Promise<ReadableStreamReadResult<Uint8Array>>;
  /** Stops reading, letting the source go. */
  cancel(reason?: unknown): Promise<void>;
}

/**
 * The pieces the input is fed in. Deflate inflates 1 byte to at most ~1032, and the decompressor
 * emits all of a piece's output at once: pieces of 16 KiB keep a gzip bomb's bursts (and so
 * memory) to ~16 MiB, and let the per-file limit refuse a huge entry by its header first. Each
 * piece is a write and a read through the decompressor's streams, whose code runs cold in a
 * one-command process: 4 KiB pieces cost ~1.6 ms more than these on a 3 MiB chart of 2,000 files.
 */
const piece = 16 * 1024;

/**
 * A reader of the tar stream inside the .tgz `archive` (a stream, or bytes in hand): its reads fail
 * with a `ChartError` when `archive` does not start with the gzip magic bytes, or once more than
 * `maxSize` bytes have come out; with `archive`'s error when it fails. Cancelling it cancels
 * `archive`.
 */
export function gunzipReader(
  archive: ReadableStream<Uint8Array> | Uint8Array,
  maxSize: number,
): ByteReader {
  // the platform's decompressor, typed for byte streams
  const gunzip = new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array>;
  const output = gunzip.readable.getReader();
  const input = archive instanceof Uint8Array ? bytesReader(archive) : archive.getReader();
  feed(input, gunzip.writable.getWriter());
  let size = 0;
  const cancel = async (reason?: unknown) => {
    await Promise.all([output.cancel(reason), input.cancel(reason)]).catch(() => {});
  };
  return {
    async read() {
      const read = await output.read();
      size += read.value?.byteLength ?? 0;
      if (size > maxSize) {
        const error = new ChartError(
          phrase`chart is larger than ${humanSize(maxSize)} decompressed (see ${
            option("maxSize")
          })`,
        );
        await cancel(error);
        throw error;
      }
      return read;
    },
    cancel,
  };
}

/**
 * Writes what `input` reads to the decompressor in pieces (each write waits for the reader to take
 * the last one's output), refusing input that does not start with the gzip magic bytes; an error
 * (of the input, or that refusal) aborts the decompressor with it, so its reader fails with it.
 */
async function feed(
  input: ByteReader,
  writer: WritableStreamDefaultWriter<Uint8Array>,
): Promise<void> {
  try {
    const head: number[] = [];
    for (let read = await input.read(); !read.done; read = await input.read()) {
      const chunk = read.value;
      if (head.length < 2) {
        head.push(...chunk.subarray(0, 2 - head.length));
        if (head.length === 2) requireGzip(head);
      }
      for (let at = 0; at < chunk.byteLength; at += piece) {
        await writer.write(chunk.subarray(at, at + piece));
      }
    }
    requireGzip(head);
    await writer.close();
  } catch (error) {
    await writer.abort(error).catch(() => {});
    await input.cancel(error).catch(() => {});
  }
}

/** A reader of `bytes`, as one chunk. */
function bytesReader(bytes: Uint8Array): ByteReader {
  let left: Uint8Array | undefined = bytes;
  return {
    read() {
      const value = left;
      left = undefined;
      return Promise.resolve(value ? { done: false, value } : { done: true, value: undefined });
    },
    cancel() {
      left = undefined;
      return Promise.resolve();
    },
  };
}

/** Throws unless `head` is the gzip magic bytes. */
function requireGzip(head: number[]): void {
  if (head[0] !== 0x1f || head[1] !== 0x8b) {
    throw new ChartError("chart content is not a gzip archive (.tgz)");
  }
}

/** A stream of `first` (when given), then of what `reader` reads; cancelling it cancels `reader`. */
export function readerStream(reader: ByteReader, first?: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (first?.byteLength) controller.enqueue(first);
    },
    async pull(controller) {
      const read = await reader.read();
      if (read.done) controller.close();
      else controller.enqueue(read.value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}
