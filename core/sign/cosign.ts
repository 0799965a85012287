/**
 * cosign signatures with keys, in the classic form every cosign version reads: a simple-signing
 * payload naming the repository and the manifest digest, signed as cosign signs with the key's
 * algorithm (see `algorithms.ts`; base64), stored as a layer of the manifest tagged
 * `sha256-<hex>.sig` beside the chart. Signing appends to that manifest; verifying reads it and checks each layer until one vouches.
 * @module
 */
import { fetchManifest } from "../copy.ts";
import { readAll } from "../digest.ts";
import { SignatureError } from "../errors.ts";
import {
  type Descriptor,
  digestOf,
  encodeManifest,
  type Manifest,
  manifestDescriptor,
} from "../oci/descriptor.ts";
import { ociImageConfig, ociManifest } from "../oci/media_types.ts";
import { referrersTag } from "../referrers.ts";
import { isReferencePusher, resolveIfPresent, type Target } from "../target.ts";
import { signWith, verifyWith } from "./algorithms.ts";
import { fromBase64, type SigningKey, toBase64 } from "./keys.ts";

/** The layer media type of a simple-signing payload. */
export const simpleSigningType = "application/vnd.dev.cosign.simplesigning.v1+json";
/** The layer annotation holding the base64 signature. */
export const signatureAnnotation = "dev.cosignproject.cosign/signature";
/** The payload's `critical.type`. */
export const cosignSignatureType = "cosign container image signature";

/** Payloads larger than this are not read (cosign's are a few hundred bytes). */
const maxPayloadSize = 64 * 1024;
/** At most this many signatures in one `.sig` manifest are checked. */
const maxSignatures = 100;

/** What a simple-signing payload claims. */
export interface SimpleSigningClaim {
  /** `critical.identity.docker-reference`: the repository signed, e.g. `localhost:5000/charts/app`. */
  dockerReference: string;
  /** `critical.image.docker-manifest-digest`. */
  digest: string;
  /** `optional`: annotations given when signing. */
  optional?: Record<string, unknown> | null;
}

/** The simple-signing payload cosign writes for `dockerReference` at `digest`. */
export function simpleSigningPayload(dockerReference: string, digest: string): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({
    critical: {
      identity: { "docker-reference": dockerReference },
      image: { "docker-manifest-digest": digest },
      type: cosignSignatureType,
    },
    optional: null,
  }));
}

/** Parses a simple-signing payload, refusing one that is not cosign's image signature type. */
export function parsePayload(bytes: Uint8Array): SimpleSigningClaim {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new SignatureError("the signed payload is not JSON");
  }
  const critical = value?.critical as Record<string, Record<string, unknown> | string> | undefined;
  const reference = (critical?.identity as Record<string, unknown>)?.["docker-reference"];
  const digest = (critical?.image as Record<string, unknown>)?.["docker-manifest-digest"];
  if (critical?.type !== cosignSignatureType || typeof digest !== "string") {
    throw new SignatureError("the signed payload is not a cosign image signature");
  }
  return {
    dockerReference: typeof reference === "string" ? reference : "",
    digest,
    optional: value.optional as SimpleSigningClaim["optional"],
  };
}

/** Signs `payload` as cosign does with `key`'s algorithm; base64. */
export async function signPayload(key: CryptoKey, payload: Uint8Array): Promise<string> {
  return toBase64(await signWith(key, payload));
}

/** Whether `signature` (base64, cosign's encoding) is `key`'s signature over `payload`. */
export async function verifyPayload(
  key: CryptoKey,
  payload: Uint8Array,
  signature: string,
): Promise<boolean> {
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(signature);
  } catch {
    return false;
  }
  return await verifyWith(key, payload, bytes);
}

/** The tag cosign keeps signatures of `digest` under: `sha256-<hex>.sig`. */
export function signatureTag(digest: string): string {
  return `${referrersTag(digest)}.sig`;
}

/** One signature layer of a `.sig` manifest, read and parsed. */
export interface SignatureLayer {
  /** The layer (its annotations carry the signature, and for keyless ones the certificate). */
  layer: Descriptor;
  /** The simple-signing payload. */
  payload: Uint8Array;
  /** The signature, base64. */
  signature: string;
}

/** The `.sig` manifest of `digest` in `target` and its signature layers (none: no manifest). */
export async function readSignatures(
  target: Target,
  digest: string,
): Promise<{ manifest?: Manifest; layers: SignatureLayer[] }> {
  const found = await resolveIfPresent(target, signatureTag(digest));
  if (!found) return { layers: [] };
  const { manifest } = await fetchManifest(target, found.digest);
  const layers: SignatureLayer[] = [];
  for (const layer of manifest.layers.slice(0, maxSignatures)) {
    const signature = layer.annotations?.[signatureAnnotation];
    if (layer.mediaType !== simpleSigningType || !signature || layer.size > maxPayloadSize) {
      continue;
    }
    const payload = await readAll(await target.fetch(layer), maxPayloadSize);
    layers.push({ layer, payload, signature });
  }
  return { manifest, layers };
}

/** What signing did. */
export interface SignResult {
  /** cosign's classic form: a layer of the `sha256-<hex>.sig` manifest. */
  form: "sig";
  /** The tag the signature is stored under. */
  tag: string;
  /** The payload's layer. */
  layer: Descriptor;
  /** False when the chart already had this key's signature over the same payload (nothing written). */
  written: boolean;
}

/**
 * Signs the manifest `subject` of `target` with `key`, naming `dockerReference` (the repository,
 * `registry/repository`) in the payload, and appends the signature to its `.sig` manifest.
 */
export async function signManifest(
  target: Target,
  subject: Descriptor,
  dockerReference: string,
  key: SigningKey,
): Promise<SignResult> {
  const tag = signatureTag(subject.digest);
  const payload = simpleSigningPayload(dockerReference, subject.digest);
  const payloadDigest = await digestOf(payload);
  const existing = await readSignatures(target, subject.digest);
  for (const old of existing.layers) {
    if (
      old.layer.digest === payloadDigest &&
      await verifyPayload(key.publicKey, old.payload, old.signature)
    ) {
      return { form: "sig", tag, layer: old.layer, written: false };
    }
  }
  const signature = await signPayload(key.privateKey, payload);
  const layer: Descriptor = {
    mediaType: simpleSigningType,
    digest: payloadDigest,
    size: payload.byteLength,
    annotations: { [signatureAnnotation]: signature },
  };
  const layers = [...(existing.manifest?.layers ?? []), layer];
  const config = new TextEncoder().encode(JSON.stringify({
    architecture: "",
    config: {},
    created: "0001-01-01T00:00:00Z",
    history: [{ created: "0001-01-01T00:00:00Z" }],
    os: "",
    rootfs: { type: "layers", diff_ids: layers.map((l) => l.digest) },
  }));
  const configDesc = {
    mediaType: ociImageConfig,
    digest: await digestOf(config),
    size: config.byteLength,
  };
  for (const [desc, bytes] of [[layer, payload], [configDesc, config]] as const) {
    if (!(await target.exists(desc))) await target.push(desc, ReadableStream.from([bytes]));
  }
  const manifestBytes = encodeManifest({
    schemaVersion: 2,
    mediaType: ociManifest,
    config: configDesc,
    layers,
  });
  const desc = await manifestDescriptor(manifestBytes);
  if (isReferencePusher(target)) {
    await target.pushReference(desc, ReadableStream.from([manifestBytes]), tag);
  } else {
    await target.push(desc, ReadableStream.from([manifestBytes]));
    await target.tag(desc, tag);
  }
  return { form: "sig", tag, layer, written: true };
}

/** Which repository names a signature may carry: the one verified, and any accepted besides. */
export interface ReferenceRule {
  /** The repository being verified, `registry/repository`. */
  repository: string;
  /** Other names to accept (a mirror's source), `registry/repository`. */
  accept?: string[];
}

/** A signature that vouched for a manifest. */
export interface VerifiedSignature {
  /** The payload's claim. */
  claim: SimpleSigningClaim;
  /** The layer that held it. */
  layer: Descriptor;
}

/** Docker Hub's two spellings of its registry, as one. */
function normalizeName(name: string): string {
  return name.replace(/^(index\.)?docker\.io\//, "docker.io/");
}

/** Why a payload naming `reference` is not accepted by `rule`, or undefined when it is. */
export function referenceMismatch(rule: ReferenceRule, reference: string): string | undefined {
  const accepted = [rule.repository, ...(rule.accept ?? [])].map(normalizeName);
  if (accepted.includes(normalizeName(reference))) return undefined;
  return `signed as ${reference || "(no name)"}, not ${rule.repository}` +
    " (accept that name to verify a copy)";
}

/**
 * Checks that `target` holds a cosign signature of the manifest `digest` by `key`, whose payload
 * names exactly that digest and a repository `rule` accepts; throws a `SignatureError` saying what
 * was found otherwise. `subject` names the chart in messages.
 */
export async function verifyManifestSignature(
  target: Target,
  digest: string,
  key: CryptoKey,
  rule: ReferenceRule,
  subject: string,
): Promise<VerifiedSignature> {
  const { manifest, layers } = await readSignatures(target, digest);
  if (!manifest) {
    throw new SignatureError(`${subject}: no cosign signature (no ${signatureTag(digest)} tag)`);
  }
  const reasons = new Set<string>();
  for (const { layer, payload, signature } of layers) {
    if (!(await verifyPayload(key, payload, signature))) {
      reasons.add("not signed by this key, or altered since");
      continue;
    }
    let claim: SimpleSigningClaim;
    try {
      claim = parsePayload(payload);
    } catch (error) {
      reasons.add((error as Error).message);
      continue;
    }
    if (claim.digest !== digest) {
      reasons.add(`signed for another manifest (${claim.digest})`);
      continue;
    }
    const mismatch = referenceMismatch(rule, claim.dockerReference);
    if (mismatch) {
      reasons.add(mismatch);
      continue;
    }
    return { claim, layer };
  }
  const checked = `${layers.length} signature${layers.length === 1 ? "" : "s"} checked`;
  throw new SignatureError(
    `${subject}: no valid signature (${checked}: ${[...reasons].join("; ") || "none readable"})`,
  );
}
