/**
 * cosign keys as cosign writes and takes them: the encrypted `SIGSTORE PRIVATE KEY` PEM (scrypt
 * and NaCl secretbox over a PKCS#8 key; `COSIGN PRIVATE KEY` from older cosign), plain PKCS#8
 * `PRIVATE KEY` and SEC1 `EC PRIVATE KEY` PEMs (what `cosign import-key-pair` takes), and PKIX
 * `PUBLIC KEY` PEMs (and PKCS #1 `RSA PRIVATE KEY`). ECDSA P-256, P-384 and P-521, Ed25519 and RSA
 * (see `algorithms.ts`). scrypt and secretbox come from @noble, loaded on use.
 * @module
 */
import { SignatureError } from "../errors.ts";
import { importKey, publicKeyOf, supportedKeys } from "./algorithms.ts";
import { ecCurveOids, pkcs1ToPkcs8, sec1ToPkcs8 } from "./der.ts";

/** A key pair ready to sign with. */
export interface SigningKey {
  /** The private key (ECDSA, Ed25519 or RSA; usage `sign`). */
  privateKey: CryptoKey;
  /** Its public key (usage `verify`). */
  publicKey: CryptoKey;
}

/** Asks for the password of an encrypted key (`COSIGN_PASSWORD`, or a prompt). */
export type PasswordSource = () => Promise<string>;

/** The PEM blocks of a file: label and DER bytes. */
export function pemBlocks(text: string): { label: string; der: Uint8Array }[] {
  const blocks: { label: string; der: Uint8Array }[] = [];
  const pattern = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  for (const match of text.matchAll(pattern)) {
    const body = match[2].split("\n").filter((line) => !line.includes(":")).join("");
    try {
      blocks.push({
        label: match[1],
        der: Uint8Array.from(atob(body.replace(/\s/g, "")), (c) => c.charCodeAt(0)),
      });
    } catch {
      throw new SignatureError(`malformed PEM block "${match[1]}": not base64`);
    }
  }
  return blocks;
}

/** Base64 (standard alphabet) to bytes. */
export function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** Bytes to base64 (standard alphabet). */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

interface Envelope {
  kdf: { name: string; params: { N: number; r: number; p: number }; salt: string };
  cipher: { name: string; nonce: string };
  ciphertext: string;
}

/** Decrypts cosign's encrypted key envelope (JSON) to the PKCS#8 DER inside it. */
async function decryptEnvelope(json: Uint8Array, password: string): Promise<Uint8Array> {
  let env: Envelope;
  try {
    env = JSON.parse(new TextDecoder().decode(json));
  } catch {
    throw new SignatureError("encrypted key: the envelope is not JSON");
  }
  const { N, r, p } = env?.kdf?.params ?? {};
  if (env?.kdf?.name !== "scrypt" || env?.cipher?.name !== "nacl/secretbox") {
    throw new SignatureError(
      `encrypted key: unsupported kdf "${env?.kdf?.name}" or cipher "${env?.cipher?.name}"`,
    );
  }
  // Bounded: a hostile key file must not make scrypt take all memory (cosign uses N up to 2^17).
  if (
    !Number.isInteger(N) || N < 2 || (N & (N - 1)) !== 0 || N > 2 ** 20 || r !== 8 || p < 1 ||
    p > 16
  ) {
    throw new SignatureError(`encrypted key: unsupported scrypt parameters N=${N} r=${r} p=${p}`);
  }
  const nonce = fromBase64(env.cipher.nonce);
  if (nonce.length !== 24) throw new SignatureError("encrypted key: the nonce is not 24 bytes");
  const [{ scryptAsync }, { xsalsa20poly1305 }] = await Promise.all([
    import("@noble/hashes/scrypt.js"),
    import("@noble/ciphers/salsa.js"),
  ]);
  const key = await scryptAsync(new TextEncoder().encode(password), fromBase64(env.kdf.salt), {
    N,
    r,
    p,
    dkLen: 32,
    maxmem: 2 ** 31,
  });
  try {
    return xsalsa20poly1305(key, nonce).decrypt(fromBase64(env.ciphertext));
  } catch {
    throw new SignatureError("encrypted key: wrong password (or the key file is damaged)");
  }
}

async function importPkcs8(der: Uint8Array, source: string): Promise<SigningKey> {
  const privateKey = await importKey("pkcs8", der);
  if (!privateKey) {
    throw new SignatureError(`${source}: not a private key h3 signs with (${supportedKeys})`);
  }
  return { privateKey, publicKey: await publicKeyOf(privateKey) };
}

/** A SEC1 `EC PRIVATE KEY` of any curve h3 knows, as a key pair. */
async function importSec1(der: Uint8Array, source: string): Promise<SigningKey> {
  for (const curve of ecCurveOids) {
    const privateKey = await importKey("pkcs8", sec1ToPkcs8(der, curve));
    if (privateKey) return { privateKey, publicKey: await publicKeyOf(privateKey) };
  }
  throw new SignatureError(`${source}: not an EC private key on P-256, P-384 or P-521`);
}

/**
 * Reads a cosign private key PEM (`source` names it in errors); `password` is asked only when the
 * key is encrypted.
 */
export async function readPrivateKey(
  pem: string,
  source: string,
  password: PasswordSource,
): Promise<SigningKey> {
  for (const { label, der } of pemBlocks(pem)) {
    if (/^ENCRYPTED (SIGSTORE|COSIGN) PRIVATE KEY$/.test(label)) {
      return await importPkcs8(await decryptEnvelope(der, await password()), source);
    }
    if (label === "PRIVATE KEY") return await importPkcs8(der, source);
    if (label === "EC PRIVATE KEY") return await importSec1(der, source);
    if (label === "RSA PRIVATE KEY") return await importPkcs8(pkcs1ToPkcs8(der), source);
  }
  throw new SignatureError(
    `${source}: no private key found (expected a cosign key, or a PKCS#8 or EC private key PEM)`,
  );
}

/** Reads a PKIX `PUBLIC KEY` PEM (ECDSA, Ed25519 or RSA); `source` names it in errors. */
export async function readPublicKey(pem: string, source: string): Promise<CryptoKey> {
  const block = pemBlocks(pem).find((b) => b.label === "PUBLIC KEY");
  if (!block) throw new SignatureError(`${source}: no "PUBLIC KEY" PEM block found`);
  const key = await importKey("spki", block.der);
  if (!key) throw new SignatureError(`${source}: not a public key h3 verifies (${supportedKeys})`);
  return key;
}
