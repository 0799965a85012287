/**
 * An OCI layout archive (`oci-archive:FILE.tar`) read in place: its headers are read once, and each
 * blob is then read from where it lies in the file, so a copy or pull of one chart out of an
 * archive of thousands reads that chart's blobs and writes no copy of the others, and a chart
 * added to it is written beside them until the archive is written again. Only an archive
 * of plain ustar entries (what h3, Go's tar and `tar --format=ustar` write for a layout) is read
 * this way: each layout file a regular file, none twice, every body inside the file; other
 * entries are skipped, as extraction skips them. For anything else (pax or GNU records, a link, an
 * end cut short) the caller extracts the archive, and that extraction names what it refuses.
 * @module
 */
import { block, isZero, plainHeader } from "../chart/ustar.ts";
import { type BlobReader, readFully } from "./blob_reader.ts";

/** Where an entry's body lies in the archive. */
interface Span {
  offset: number;
  size: number;
}

/**
 * The names a layout archive's files may have, a leading "./" taken off (`layoutEntryName`): the
 * layout's own files and its blobs.
 */
export const layoutFile = /^(?:oci-layout|index\.json|blobs\/sha256\/[a-f0-9]{64})$/;
/**
 * The names its directories may have: the archive's top ("./", as `tar -C DIR -cf FILE .` writes
 * it), `blobs/` and `blobs/sha256/`.
 */
export const layoutDir = /^(?:\.?|blobs\/?|blobs\/sha256\/?)$/;

/** An entry's name as the layout's patterns are matched against it: a leading "./" taken off. */
export function layoutEntryName(name: string): string {
  return name.startsWith("./") ? name.slice(2) : name;
}

/** How many bytes past the end's first zero block are read to see they are all zero. */
const maxTrailer = 1024 * 1024;

/** Bytes copied at a time (the layout's own files into the temp folder, a blob's stream). */
const piece = 1024 * 1024;

/** A layout archive opened in place: its blobs, read from the file. Dispose it to close the file. */
export class LayoutArchive implements BlobReader, Disposable {
  readonly #file: Deno.FsFile;
  readonly #path: string;
  readonly #blobs: Map<string, Span>;

  private constructor(file: Deno.FsFile, path: string, blobs: Map<string, Span>) {
    this.#file = file;
    this.#path = path;
    this.#blobs = blobs;
  }

  /**
   * Reads the headers of the archive at `path`; when it is a plain layout archive (see the
   * module), writes its `oci-layout` and `index.json` into `dir` and returns it. Undefined when the
   * archive is anything else: it is then to be extracted.
   */
  static open(path: string, dir: string): LayoutArchive | undefined {
    const file = Deno.openSync(path);
    try {
      const files = scan(file, file.statSync().size);
      if (!files?.has("oci-layout")) {
        file.close();
        return undefined;
      }
      const blobs = new Map<string, Span>();
      for (const [name, span] of files) {
        if (name.startsWith("blobs/")) blobs.set(name.slice("blobs/sha256/".length), span);
        else copySpan(file, span, `${dir}/${name}`);
      }
      return new LayoutArchive(file, path, blobs);
    } catch (error) {
      file.close();
      throw error;
    }
  }

  /** Closes the archive. */
  [Symbol.dispose](): void {
    this.#file.close();
  }

  /** The hex digests of the archive's blobs. */
  hexes(): IterableIterator<string> {
    return this.#blobs.keys();
  }

  size(hex: string): number | undefined {
    return this.#blobs.get(hex)?.size;
  }

  read(hex: string, max: number): Uint8Array {
    const span = this.#span(hex);
    this.#file.seekSync(span.offset, Deno.SeekMode.Start);
    return readFully(this.#file, new Uint8Array(Math.min(max, span.size)));
  }

  async open(hex: string): Promise<ReadableStream<Uint8Array>> {
    const span = this.#span(hex);
    // A handle of its own: streams read at their own pace, and a shared one's position would move.
    const file = await Deno.open(this.#path);
    try {
      await file.seek(span.offset, Deno.SeekMode.Start);
    } catch (error) {
      file.close();
      throw error;
    }
    let left = span.size;
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        const buffer = new Uint8Array(Math.min(piece, left));
        const read = left > 0 ? await file.read(buffer) : null;
        if (read === null || read === 0) {
          file.close();
          // a file cut short since its headers were read: the reader's digest check fails
          controller.close();
          return;
        }
        left -= read;
        controller.enqueue(buffer.subarray(0, read));
      },
      cancel() {
        file.close();
      },
    });
  }

  #span(hex: string): Span {
    const span = this.#blobs.get(hex);
    if (!span) throw new Deno.errors.NotFound(`blob ${hex} is not in ${this.#path}`);
    return span;
  }
}

/**
 * The layout files of a plain layout archive and where their bodies lie; undefined for any other
 * archive (see the module).
 */
function scan(file: Deno.FsFile, fileSize: number): Map<string, Span> | undefined {
  const files = new Map<string, Span>();
  const h = new Uint8Array(block);
  let at = 0;
  // Each turn moves past a header and its body, inside the file: at most fileSize / block turns.
  while (at + block <= fileSize) {
    file.seekSync(at, Deno.SeekMode.Start);
    if (readFully(file, h).byteLength < block) return undefined;
    const header = plainHeader(h);
    if (!header) return isZero(h) && isEnd(file, at, fileSize) ? files : undefined;
    const name = layoutEntryName(header.name);
    const offset = at + block;
    if (offset + header.size > fileSize) return undefined;
    if (layoutFile.test(name)) {
      if (header.type !== "file" || files.has(name)) return undefined;
      files.set(name, { offset, size: header.size });
    } else if (layoutDir.test(name) && header.type !== "directory") return undefined;
    at = offset + header.size + (-header.size & (block - 1));
  }
  return undefined;
}

/** Whether the zero block at `at` is followed by a second one and nothing but zero bytes. */
function isEnd(file: Deno.FsFile, at: number, fileSize: number): boolean {
  const rest = fileSize - at - block;
  if (rest < block || rest > maxTrailer) return false;
  const bytes = readFully(file, new Uint8Array(rest));
  return bytes.byteLength === rest && isZero(bytes);
}

/** Writes the archive's bytes at `span` to a new file at `path`, a piece at a time. */
function copySpan(file: Deno.FsFile, span: Span, path: string): void {
  using out = Deno.openSync(path, { write: true, createNew: true });
  file.seekSync(span.offset, Deno.SeekMode.Start);
  for (let left = span.size; left > 0;) {
    const bytes = readFully(file, new Uint8Array(Math.min(piece, left)));
    if (bytes.byteLength === 0) throw new Deno.errors.UnexpectedEof(`${span.size} bytes expected`);
    for (let written = 0; written < bytes.byteLength;) {
      written += out.writeSync(bytes.subarray(written));
    }
    left -= bytes.byteLength;
  }
}
