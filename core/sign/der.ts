/**
 * The little DER that ECDSA keys and signatures need: SEC1 EC keys wrapped as PKCS#8 for WebCrypto,
 * and signatures converted between DER (what cosign stores) and WebCrypto's raw r||s.
 * @module
 */
import { SignatureError } from "../errors.ts";

/** A DER length prefix. */
function length(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

/** A DER element: tag, length, content. */
function element(tag: number, content: Uint8Array | number[]): Uint8Array {
  return new Uint8Array([tag, ...length(content.length), ...content]);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Reads one element at `at`: its tag, content and where the next begins. */
function read(der: Uint8Array, at: number): { tag: number; content: Uint8Array; end: number } {
  const tag = der[at];
  let len = der[at + 1];
  let start = at + 2;
  if (len === undefined) throw new SignatureError("malformed DER: truncated");
  if (len & 0x80) {
    const count = len & 0x7f;
    if (count < 1 || count > 3) throw new SignatureError("malformed DER: bad length");
    len = 0;
    for (let i = 0; i < count; i++) len = (len << 8) | der[start + i];
    start += count;
  }
  const end = start + len;
  if (end > der.length) throw new SignatureError("malformed DER: truncated");
  return { tag, content: der.subarray(start, end), end };
}

// id-ecPublicKey and prime256v1 (P-256), DER-encoded OIDs.
const ecPublicKey = [0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const prime256v1 = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

/** A SEC1 `EC PRIVATE KEY` (P-256) as the PKCS#8 `PRIVATE KEY` WebCrypto imports. */
export function sec1ToPkcs8(sec1: Uint8Array): Uint8Array {
  const algorithm = element(0x30, [...ecPublicKey, ...prime256v1]);
  return element(
    0x30,
    concat(new Uint8Array([0x02, 0x01, 0x00]), algorithm, element(0x04, sec1)),
  );
}

/** An unsigned big-endian integer as DER INTEGER content (no leading zeros but one for the sign). */
function integer(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const trimmed = bytes.subarray(i);
  return element(0x02, trimmed[0] & 0x80 ? concat(new Uint8Array([0]), trimmed) : trimmed);
}

/** WebCrypto's raw ECDSA signature (r||s) as DER `SEQUENCE { r, s }`. */
export function rawToDer(raw: Uint8Array): Uint8Array {
  const half = raw.length / 2;
  return element(0x30, concat(integer(raw.subarray(0, half)), integer(raw.subarray(half))));
}

/** A DER ECDSA signature as WebCrypto's raw r||s, each `size` bytes. */
export function derToRaw(der: Uint8Array, size = 32): Uint8Array {
  const seq = read(der, 0);
  if (seq.tag !== 0x30 || seq.end !== der.length) {
    throw new SignatureError("malformed signature: not a DER sequence");
  }
  const out = new Uint8Array(size * 2);
  let at = 0;
  for (let i = 0; i < 2; i++) {
    const int = read(seq.content, at);
    if (int.tag !== 0x02) throw new SignatureError("malformed signature: not an integer");
    let value = int.content;
    while (value.length > size && value[0] === 0) value = value.subarray(1);
    if (value.length > size) throw new SignatureError("malformed signature: integer too long");
    out.set(value, i * size + size - value.length);
    at = int.end;
  }
  if (at !== seq.content.length) throw new SignatureError("malformed signature: trailing data");
  return out;
}
