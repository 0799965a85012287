/**
 * The key algorithms cosign signs with, and signatures in cosign's encodings: ECDSA P-256, P-384
 * and P-521 (DER; hashed with SHA-256, SHA-384 and SHA-512 as `cosign sign` does, SHA-256 accepted
 * too as older cosign signed and `cosign verify` checks by default), Ed25519 (raw; pure, and
 * Ed25519ph as cosign 3 signs, checked with @noble/curves loaded on use), and RSA (PKCS #1 v1.5
 * SHA-256 as cosign signs; PSS SHA-256 accepted when verifying).
 * @module
 */
import { derToRaw, rawToDer } from "./der.ts";

/** What WebCrypto imports a key as, one entry per algorithm h3 knows, most common first. */
const importAs = [
  { name: "ECDSA", namedCurve: "P-256" },
  { name: "ECDSA", namedCurve: "P-384" },
  { name: "ECDSA", namedCurve: "P-521" },
  { name: "Ed25519" },
  { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
] as const;

/** The algorithms h3 signs and verifies with, as errors name them. */
export const supportedKeys = "ECDSA P-256, P-384 or P-521, Ed25519, or RSA";

/** ECDSA curves: the hash cosign signs with and the size of r and s. */
const curves: Record<string, { hash: string; size: number }> = {
  "P-256": { hash: "SHA-256", size: 32 },
  "P-384": { hash: "SHA-384", size: 48 },
  "P-521": { hash: "SHA-512", size: 66 },
};

/**
 * Imports a PKCS #8 private key (`usage` sign) or PKIX public key (`usage` verify) of any algorithm
 * h3 knows; undefined when it is none of them.
 */
export async function importKey(
  format: "pkcs8" | "spki",
  der: Uint8Array,
): Promise<CryptoKey | undefined> {
  const usage: KeyUsage = format === "pkcs8" ? "sign" : "verify";
  for (const algorithm of importAs) {
    try {
      return await crypto.subtle.importKey(
        format,
        der as Uint8Array<ArrayBuffer>,
        algorithm,
        true,
        [usage],
      );
    } catch {
      // not this algorithm: try the next
    }
  }
  return undefined;
}

/** The public key of a private key. */
export async function publicKeyOf(privateKey: CryptoKey): Promise<CryptoKey> {
  const jwk = await crypto.subtle.exportKey("jwk", privateKey);
  const { kty, crv, x, y, n, e } = jwk;
  const pub = { kty, crv, x, y, n, e };
  return await crypto.subtle.importKey("jwk", pub, privateKey.algorithm, true, ["verify"]);
}

/** Signs `data` with `key` as cosign does, in cosign's encoding (ECDSA: DER; others: raw). */
export async function signWith(key: CryptoKey, data: Uint8Array): Promise<Uint8Array> {
  const bytes = data as Uint8Array<ArrayBuffer>;
  const { name, namedCurve } = key.algorithm as EcKeyAlgorithm;
  if (name === "ECDSA") {
    const raw = await crypto.subtle.sign({ name, hash: curves[namedCurve].hash }, key, bytes);
    return rawToDer(new Uint8Array(raw));
  }
  return new Uint8Array(await crypto.subtle.sign(name, key, bytes));
}

/** Whether `signature` (cosign's encoding) is `key`'s signature over `data`, in any form cosign makes. */
export async function verifyWith(
  key: CryptoKey,
  data: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  const bytes = data as Uint8Array<ArrayBuffer>;
  const { name, namedCurve } = key.algorithm as EcKeyAlgorithm;
  if (name === "ECDSA") {
    const { hash, size } = curves[namedCurve];
    let raw: Uint8Array;
    try {
      raw = derToRaw(signature, size);
    } catch {
      return false;
    }
    for (const h of new Set([hash, "SHA-256"])) {
      const params = { name, hash: h };
      if (await crypto.subtle.verify(params, key, raw as Uint8Array<ArrayBuffer>, bytes)) {
        return true;
      }
    }
    return false;
  }
  const sig = signature as Uint8Array<ArrayBuffer>;
  if (await crypto.subtle.verify(name, key, sig, bytes)) return true;
  if (name === "Ed25519") return await verifyEd25519ph(key, data, signature);
  if (name === "RSASSA-PKCS1-v1_5") return await verifyRsaPss(key, data, signature);
  return false;
}

/** Ed25519ph (SHA-512 prehash, empty context), as cosign 3 signs with Ed25519 keys. */
async function verifyEd25519ph(key: CryptoKey, data: Uint8Array, signature: Uint8Array) {
  if (signature.byteLength !== 64) return false;
  const { ed25519ph } = await import("@noble/curves/ed25519.js");
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", key));
  try {
    return ed25519ph.verify(signature, data, raw);
  } catch {
    return false;
  }
}

/** RSA-PSS SHA-256, with the salt as long as the hash or as long as the key allows. */
async function verifyRsaPss(key: CryptoKey, data: Uint8Array, signature: Uint8Array) {
  const spki = await crypto.subtle.exportKey("spki", key);
  const pss = await crypto.subtle.importKey(
    "spki",
    spki,
    { name: "RSA-PSS", hash: "SHA-256" },
    false,
    ["verify"],
  );
  const modulus = (key.algorithm as RsaHashedKeyAlgorithm).modulusLength;
  for (const saltLength of [32, Math.ceil((modulus - 1) / 8) - 32 - 2]) {
    const ok = await crypto.subtle.verify(
      { name: "RSA-PSS", saltLength },
      pss,
      signature as Uint8Array<ArrayBuffer>,
      data as Uint8Array<ArrayBuffer>,
    );
    if (ok) return true;
  }
  return false;
}
