/** What h3's tar writer and reader share of the ustar format: its block and header checksum. @module */

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
