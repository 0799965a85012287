/** OCI descriptors and image manifests: types, construction and strict parsing. @module */
import { DigestError, RegistryError } from "../errors.ts";
import { dockerManifestList, isManifest, ociIndex, ociManifest } from "./media_types.ts";

/** Points at content by media type, digest and size. */
export interface Descriptor {
  /** What the content is, e.g. `application/vnd.oci.image.manifest.v1+json`. */
  mediaType: string;
  /** `sha256:` and the hex digest of the content. */
  digest: string;
  /** The content's length in bytes. */
  size: number;
  /** What an artifact manifest is (in a referrers list: the referrer's kind). */
  artifactType?: string;
  /** Free-form notes (for the cache's index: the ref name and chart columns). */
  annotations?: Record<string, string>;
}

/** An OCI (or Docker schema 2) image manifest. */
export interface Manifest {
  /** Always 2. */
  schemaVersion: 2;
  /** The manifest's own media type (OCI or Docker schema 2). */
  mediaType?: string;
  /** The artifact's type, when the config does not tell it. */
  artifactType?: string;
  /** The config blob (for a chart: Chart.yaml as JSON). */
  config: Descriptor;
  /** The layers (for a chart: the package, and maybe its provenance). */
  layers: Descriptor[];
  /** The manifest this one refers to (a signature, SBOM or attestation of it). */
  subject?: Descriptor;
  /** Manifest annotations (`org.opencontainers.image.*`). */
  annotations?: Record<string, string>;
}

/** Manifests larger than this are refused before being read whole (as the distribution spec). */
export const maxManifestSize = 4 * 1024 * 1024;

const encoder = new TextEncoder();

/** Serializes a manifest to the exact bytes that are hashed and stored. */
export function encodeManifest(manifest: Manifest): Uint8Array {
  return encoder.encode(JSON.stringify(manifest));
}

/** Parses manifest bytes, refusing indexes, non-JSON and anything without config and layers. */
export function decodeManifest(bytes: Uint8Array, mediaType?: string): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new RegistryError("manifest is not valid JSON", 0, "MANIFEST_INVALID");
  }
  if (typeof value !== "object" || value === null) {
    throw new RegistryError("manifest is not a JSON object", 0, "MANIFEST_INVALID");
  }
  const m = value as Record<string, unknown>;
  const type = (m.mediaType as string | undefined) ?? mediaType;
  if (type === ociIndex || type === dockerManifestList || Array.isArray(m.manifests)) {
    throw new RegistryError(
      "reference points to an image index (a list of manifests), not a chart",
      0,
      "MANIFEST_INVALID",
    );
  }
  if (type !== undefined && !isManifest(type)) {
    throw new RegistryError(`unsupported manifest media type "${type}"`, 0, "MANIFEST_INVALID");
  }
  if (m.schemaVersion !== 2 || !isDescriptor(m.config) || !Array.isArray(m.layers)) {
    throw new RegistryError(
      "manifest is not an image manifest (schemaVersion 2 with config and layers)",
      0,
      "MANIFEST_INVALID",
    );
  }
  for (const layer of m.layers) {
    if (!isDescriptor(layer)) {
      throw new RegistryError("manifest has a malformed layer descriptor", 0, "MANIFEST_INVALID");
    }
  }
  return m as unknown as Manifest;
}

/** Whether a value has the shape of a descriptor with a sha256 digest. */
export function isDescriptor(value: unknown): value is Descriptor {
  if (typeof value !== "object" || value === null) return false;
  const d = value as Record<string, unknown>;
  return typeof d.mediaType === "string" && typeof d.digest === "string" &&
    /^sha256:[a-f0-9]{64}$/.test(d.digest) && Number.isSafeInteger(d.size) &&
    (d.size as number) >= 0;
}

/** The descriptor of a manifest's bytes (media type OCI manifest unless it says otherwise). */
export async function manifestDescriptor(
  bytes: Uint8Array,
  mediaType = ociManifest,
): Promise<Descriptor> {
  return { mediaType, digest: await digestOf(bytes), size: bytes.byteLength };
}

/**
 * Web Crypto's `digest` hands each call to a thread of its own: ~60 µs of CPU whatever the size,
 * and on a busy machine up to a millisecond of the main thread's time, more than hashing a
 * manifest, a chart's config or a small chart costs in JavaScript once V8 has compiled the hash.
 * Compiling it costs a few milliseconds, so a process hashes its first `warmAfter` buffers with
 * Web Crypto, and those after them up to `inlineLimit` bytes in JavaScript (a bulk push or pull).
 */
const warmAfter = 64;
const inlineLimit = 16 << 10;
let hashed = 0;
let sha2: Promise<typeof import("@noble/hashes/sha2.js")> | undefined;

/** sha256 digest of an in-memory buffer, as `sha256:<hex>` (manifests, configs, small blobs). */
export async function digestOf(bytes: Uint8Array): Promise<string> {
  const hash = bytes.byteLength <= inlineLimit && ++hashed > warmAfter
    ? (await (sha2 ??= import("@noble/hashes/sha2.js"))).sha256(bytes)
    : new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return "sha256:" + hex(hash);
}

/**
 * Bytes as lowercase hex: `Uint8Array.prototype.toHex` where the runtime has it (~25 ns for a
 * digest, where 32 two-digit strings joined took ~1.6 µs, and more in a bulk pull's busy heap).
 */
function hex(bytes: Uint8Array): string {
  return typeof bytes.toHex === "function"
    ? bytes.toHex()
    : Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The error for content that runs past the size its descriptor announced. */
export function oversized(desc: Descriptor): DigestError {
  return new DigestError(
    `size mismatch for ${desc.digest}: more than the ${desc.size} bytes announced`,
  );
}

/** Throws a `DigestError` unless `bytes` are as many as `desc` says. */
export function checkSize(desc: Descriptor, bytes: Uint8Array): void {
  if (bytes.byteLength !== desc.size) {
    throw new DigestError(
      `size mismatch for ${desc.digest}: expected ${desc.size} bytes, got ${bytes.byteLength}`,
    );
  }
}

/** Throws a `DigestError` unless `bytes` match `desc` in size and digest. */
export async function verifyBytes(desc: Descriptor, bytes: Uint8Array): Promise<void> {
  checkSize(desc, bytes);
  const actual = await digestOf(bytes);
  if (actual !== desc.digest) {
    throw new DigestError(`digest mismatch: expected ${desc.digest}, got ${actual}`);
  }
}

/** The first 7 hex digits of a digest, as the seed prints them. */
export function shortDigest(digest: string): string {
  return digest.slice(digest.indexOf(":") + 1, digest.indexOf(":") + 8);
}
