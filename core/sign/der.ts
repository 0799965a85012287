/**
 * The little DER that keys and signatures need: SEC1 EC and PKCS #1 RSA keys wrapped as PKCS #8 for
 * WebCrypto, and ECDSA signatures converted between DER (what cosign stores) and WebCrypto's r||s.
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

// id-ecPublicKey, the named curves (P-256, P-384, P-521) and rsaEncryption: DER-encoded OIDs.
const ecPublicKey = [0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/** The DER OIDs of the curves h3 knows, P-256 first. */
export const ecCurveOids: readonly number[][] = [
  [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07],
  [0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22],
  [0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23],
];
const rsaEncryption = [
  0x06,
  0x09,
  0x2a,
  0x86,
  0x48,
  0x86,
  0xf7,
  0x0d,
  0x01,
  0x01,
  0x01,
  0x05,
  0x00,
];

/** A private key wrapped as PKCS #8: version 0, `algorithm`, the key as an octet string. */
function pkcs8(algorithm: number[], key: Uint8Array): Uint8Array {
  return element(
    0x30,
    concat(new Uint8Array([0x02, 0x01, 0x00]), element(0x30, algorithm), element(0x04, key)),
  );
}

/** A SEC1 `EC PRIVATE KEY` on the curve `curve` (a DER OID) as the PKCS #8 WebCrypto imports. */
export function sec1ToPkcs8(
  sec1: Uint8Array,
  curve: readonly number[] = ecCurveOids[0],
): Uint8Array {
  return pkcs8([...ecPublicKey, ...curve], sec1);
}

/** A PKCS #1 `RSA PRIVATE KEY` as the PKCS #8 WebCrypto imports. */
export function pkcs1ToPkcs8(pkcs1: Uint8Array): Uint8Array {
  return pkcs8(rsaEncryption, pkcs1);
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
