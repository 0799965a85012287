/**
 * The entries of an uncompressed tar stream, for extracting charts of thousands of small files.
 * Plain ustar entries (a regular file or a directory; "ustar" magic; an ASCII name; octal numbers;
 * the right checksum) whose whole body has arrived are read here, from the bytes, the body a view
 * of them, and so is the archive's end (two zero blocks, then nothing but zero bytes). From the
 * first entry that is anything else (pax or GNU records, a link or device, a body over 256 KiB, a
 * header in any doubt, an end that is cut short or followed by other bytes) to the end,
 * `modern-tar`'s strict decoder reads the rest: what it refuses is refused, and it reads
 * everything past the plain entries as it would have read the whole archive. Its entries carry a
 * stream per body, whose making and reading cost more CPU per small file than the file's
 * creation; it is loaded only for such an archive.
 * @module
 */
import type { TarHeader } from "modern-tar";
import { type ByteReader, readerStream } from "./gunzip.ts";
import { block, isZero, plainHeader } from "./ustar.ts";

/**
 * A tar entry: its header, and its body as bytes (valid until the next batch is asked for) or as
 * a stream (to be read or cancelled before the next).
 */
export interface TarEntry {
  /** The entry's header. */
  header: TarHeader;
  /** Its body. */
  body: Uint8Array | ReadableStream<Uint8Array>;
}

/** The largest body read here whole; a larger one is streamed by modern-tar. */
const wholeBody = 256 * 1024;

/**
 * The entries of the tar stream `reader` reads, refused as `createTarDecoder({ strict: true })` does, in
 * batches: the plain entries that have arrived, together (a bytes body stays valid until the next
 * batch is asked for), and each entry read by modern-tar alone. A chart of thousands of small
 * files costs a promise per batch, not per file.
 */
export async function* tarStreamEntries(reader: ByteReader): AsyncGenerator<TarEntry[]> {
  const bytes = new Bytes();
  let ended = false;
  // why reading here stopped: the archive's end was read, or the rest is modern-tar's
  let stop: "end" | "handed on" | undefined;
  try {
    for (;;) {
      const batch: TarEntry[] = [];
      let at = 0; // where the next entry starts in `bytes`
      for (;;) {
        if (bytes.length - at < block) break;
        const header = plainHeader(bytes.view(at, at + block));
        if (!header || header.size > wholeBody) break;
        const end = at + block + header.size + (-header.size & (block - 1));
        if (bytes.length < end) break;
        batch.push({ header, body: bytes.view(at + block, at + block + header.size) });
        at = end;
      }
      if (batch.length) yield batch;
      bytes.drop(at);
      const header = bytes.length >= block ? plainHeader(bytes.view(0, block)) : undefined;
      if (bytes.length >= block && !header) {
        const end = isZero(bytes.view(0, block)) && await archiveEnd(reader, bytes, ended);
        stop = end ? "end" : "handed on";
        break;
      }
      if ((header && header.size > wholeBody) || ended) break;
      const read = await reader.read();
      if (read.done) ended = true;
      else bytes.push(read.value);
    }
    stop ??= "handed on";
  } finally {
    // an error, or the consumer stopped early: the source is let go
    if (!stop) await reader.cancel().catch(() => {});
  }
  if (stop === "end") return;
  // The rest, from the entry not read here, as modern-tar reads it.
  const rest = readerStream(reader, bytes.view(0, bytes.length).slice());
  try {
    const { createTarDecoder } = await import("modern-tar");
    for await (const entry of rest.pipeThrough(createTarDecoder({ strict: true }))) yield [entry];
  } finally {
    // modern-tar's decoder does not pass a cancel on to its source: the source is let go here
    await reader.cancel().catch(() => {});
  }
}

/**
 * Whether the archive's end, which starts with the zero block at the start of `bytes`, is read
 * here to the end of the source: a second zero block, then nothing but zero bytes. If not (the
 * source ends first, or other bytes come), `bytes` still starts at that first zero block, followed
 * by what was read, for modern-tar to refuse.
 */
async function archiveEnd(
  reader: ByteReader,
  bytes: Bytes,
  ended: boolean,
): Promise<boolean> {
  for (;;) {
    if (bytes.length >= 2 * block) {
      if (!isZero(bytes.view(block, bytes.length))) return false;
      bytes.truncate(2 * block); // zeros, kept as the end's two blocks
    }
    if (ended) return bytes.length >= 2 * block;
    const read = await reader.read();
    if (read.done) ended = true;
    else bytes.push(read.value);
  }
}

/** Bytes arrived and not read yet, in one buffer that grows as needed. */
class Bytes {
  #data = new Uint8Array(64 * 1024);
  #start = 0;
  #end = 0;

  /** How many bytes there are. */
  get length(): number {
    return this.#end - this.#start;
  }

  /** The bytes `from` to `to`, in place: valid until the next `push`. */
  view(from: number, to: number): Uint8Array {
    return this.#data.subarray(this.#start + from, this.#start + to);
  }

  /** Forgets the first `n` bytes. */
  drop(n: number): void {
    this.#start += n;
    if (this.#start === this.#end) this.#start = this.#end = 0;
  }

  /** Forgets all but the first `n` bytes. */
  truncate(n: number): void {
    this.#end = this.#start + n;
  }

  /** Appends `chunk` (copied). */
  push(chunk: Uint8Array): void {
    if (this.#end + chunk.byteLength > this.#data.byteLength) {
      const live = this.length;
      if (live + chunk.byteLength > this.#data.byteLength) {
        const data = new Uint8Array(Math.max(2 * this.#data.byteLength, live + chunk.byteLength));
        data.set(this.#data.subarray(this.#start, this.#end));
        this.#data = data;
      } else this.#data.copyWithin(0, this.#start, this.#end);
      this.#start = 0;
      this.#end = live;
    }
    this.#data.set(chunk, this.#end);
    this.#end += chunk.byteLength;
  }
}
