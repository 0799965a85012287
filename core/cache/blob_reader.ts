/**
 * Where a layout's blobs are read from: its `blobs/sha256/` folder, or a layout archive read in
 * place (`layout_archive.ts`). An `OciLayout` reads through one; what it reads is verified there.
 * @module
 */

/** Reads a layout's blobs by their digest's hex (64 lowercase hex digits, checked by the caller). */
export interface BlobReader {
  /** The size of the blob, or undefined when it is not there. */
  size(hex: string): number | undefined;
  /**
   * The blob's first `max` bytes (all of it when it is smaller); throws `Deno.errors.NotFound`
   * when it is not there.
   */
  read(hex: string, max: number): Uint8Array;
  /** A stream of the blob; throws `Deno.errors.NotFound` when it is not there. */
  open(hex: string): Promise<ReadableStream<Uint8Array>>;
}

/**
 * The blobs of the layout folder `dir`. `read` and `size` are synchronous calls: on the small blobs
 * they are used for, one open, a read or two and a close cost a fraction of a stream or of async
 * calls (each a hop to a worker thread and back).
 */
export function folderBlobs(dir: string): BlobReader {
  const path = (hex: string) => `${dir}/blobs/sha256/${hex}`;
  return {
    size(hex) {
      try {
        const info = Deno.statSync(path(hex));
        return info.isFile ? info.size : undefined;
      } catch {
        return undefined;
      }
    },
    read(hex, max) {
      using file = Deno.openSync(path(hex));
      return readFully(file, new Uint8Array(max));
    },
    async open(hex) {
      return (await Deno.open(path(hex))).readable;
    },
  };
}

/** Fills `buffer` from where `file` stands, or as much as there is; returns what was read. */
export function readFully(file: Deno.FsFile, buffer: Uint8Array): Uint8Array {
  let filled = 0;
  while (filled < buffer.byteLength) {
    const read = file.readSync(buffer.subarray(filled));
    if (read === null || read === 0) break;
    filled += read;
  }
  return buffer.subarray(0, filled);
}

/**
 * Blobs read from `top` where it has them, else from `below`: a layout archive being added to,
 * its new blobs in a folder and the others where they lie in the archive.
 */
export function overlayBlobs(top: BlobReader, below: BlobReader): BlobReader {
  const from = (hex: string) => top.size(hex) === undefined ? below : top;
  return {
    size: (hex) => top.size(hex) ?? below.size(hex),
    read: (hex, max) => from(hex).read(hex, max),
    open: (hex) => from(hex).open(hex),
  };
}
