/**
 * What h3's tar writer and readers share of the ustar format: its block, the header checksum, and
 * the reading of a plain header.
 * @module
 */
import type { TarHeader } from "modern-tar";

/** The tar block size, and a header's. */
export const block = 512;

/**
 * The checksum of the header in the 512 bytes `h`: the sum of its bytes, the checksum field
 * (bytes 148-155) counted as spaces whatever it holds. Four bytes at a time when the header is
 * aligned (as the headers h3 reads and writes are): a byte at a time, it was a third of the CPU
 * spent reading a header.
 */
export function headerChecksum(h: Uint8Array): number {
  if (h.byteOffset % 4 !== 0) {
    let sum = 8 * 0x20;
    for (let i = 0; i < 148; i++) sum += h[i];
    for (let i = 156; i < block; i++) sum += h[i];
    return sum;
  }
  const words = new Uint32Array(h.buffer, h.byteOffset, block / 4);
  let lanes = 0; // two 16-bit sums: of bytes 0 and 2, and of bytes 1 and 3, of each word
  for (let i = 0; i < block / 4; i++) {
    const word = i === 148 / 4 || i === 152 / 4 ? 0x20202020 : words[i];
    lanes += (word & 0x00ff00ff) + ((word >>> 8) & 0x00ff00ff);
  }
  return (lanes & 0xffff) + (lanes >>> 16);
}

/**
 * The header in the 512 bytes `h` when it is a plain ustar file or directory, read as modern-tar
 * reads it; otherwise undefined (anything modern-tar would read otherwise, or refuse).
 */
export function plainHeader(h: Uint8Array): TarHeader | undefined {
  const flag = h[156];
  const type = flag === 0x30 || flag === 0 ? "file" : flag === 0x35 ? "directory" : undefined;
  if (type === undefined) return undefined;
  // "ustar\0": its prefix field is part of the name
  if (h[257] !== 0x75 || h[258] !== 0x73 || h[259] !== 0x74 || h[260] !== 0x61) return undefined;
  if (h[261] !== 0x72 || h[262] !== 0) return undefined;
  const mode = octal(h, 100, 8);
  const uid = octal(h, 108, 8);
  const gid = octal(h, 116, 8);
  const size = octal(h, 124, 12);
  const mtime = octal(h, 136, 12);
  if (mode < 0 || uid < 0 || gid < 0 || size < 0 || mtime < 0) return undefined;
  if (octal(h, 148, 8) !== headerChecksum(h)) return undefined;
  const base = ascii(h, 0, 100);
  const prefix = ascii(h, 345, 155);
  if (base === undefined || prefix === undefined) return undefined;
  const name = prefix ? `${prefix}/${base}` : base;
  // a directory's size field or a file named as a directory: left to modern-tar
  if (type === "directory" ? size !== 0 : name.endsWith("/")) return undefined;
  return { name, type, size, mode, uid, gid, mtime: new Date(mtime * 1000) };
}

/**
 * The octal number in `h[offset]` to `h[offset + length]`, spaces skipped, ended by a NUL; -1 for
 * any other byte (modern-tar refuses those, or reads a base-256 number).
 */
function octal(h: Uint8Array, offset: number, length: number): number {
  let value = 0;
  for (let i = offset; i < offset + length; i++) {
    const c = h[i];
    if (c === 0) break;
    if (c === 0x20) continue;
    if (c < 0x30 || c > 0x37) return -1;
    value = value * 8 + c - 0x30;
  }
  return value;
}

/** Decodes ASCII (as UTF-8, of which it is a part: the platform's fastest decoder). */
const utf8 = new TextDecoder();

/** The ASCII text in the field, up to its first NUL; undefined when it has other bytes. */
function ascii(h: Uint8Array, offset: number, length: number): string | undefined {
  let end = offset;
  for (; end < offset + length && h[end] !== 0; end++) if (h[end] > 0x7f) return undefined;
  return end === offset ? "" : utf8.decode(h.subarray(offset, end));
}

/** Whether every byte of `bytes` is zero (an archive's end is zero blocks). */
export function isZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.byteLength; i++) if (bytes[i] !== 0) return false;
  return true;
}
