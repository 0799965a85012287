/**
 * cosign's Sigstore-bundle signatures with keys (cosign 3's default): a bundle v0.3 whose DSSE
 * envelope holds an in-toto statement naming the manifest digest (predicate type
 * `https://sigstore.dev/cosign/sign/v1`), signed as cosign signs with the key's algorithm over DSSE's
 * pre-authentication encoding, stored as a referrer of the chart (artifact type
 * `application/vnd.dev.sigstore.bundle.v0.3+json`). The statement names no repository.
 * @module
 */
import { fetchManifest } from "../copy.ts";
import { readAll } from "../digest.ts";
import { type Descriptor, digestOf, encodeManifest, type Manifest } from "../oci/descriptor.ts";
import { ociEmpty, ociManifest } from "../oci/media_types.ts";
import { attachReferrer, listReferrers } from "../referrers.ts";
import type { Target } from "../target.ts";
import { signPayload, verifyPayload } from "./cosign.ts";
import { fromBase64, type SigningKey, toBase64 } from "./keys.ts";

/** The artifact (and layer) type of a Sigstore bundle v0.3. */
export const bundleType = "application/vnd.dev.sigstore.bundle.v0.3+json";
/** The predicate type of cosign's image signature statements. */
export const cosignSignPredicate = "https://sigstore.dev/cosign/sign/v1";
const inTotoType = "application/vnd.in-toto+json";
/** Bundles larger than this are not read. */
const maxBundleSize = 1024 * 1024;
/** At most this many bundles of one chart are checked. */
const maxBundles = 32;

const encoder = new TextEncoder();

/** DSSE's pre-authentication encoding of a payload. */
export function pae(payloadType: string, payload: Uint8Array): Uint8Array {
  const head = encoder.encode(
    `DSSEv1 ${encoder.encode(payloadType).byteLength} ${payloadType} ${payload.byteLength} `,
  );
  const out = new Uint8Array(head.byteLength + payload.byteLength);
  out.set(head);
  out.set(payload, head.byteLength);
  return out;
}

/** The in-toto statement cosign signs for a manifest digest. */
function statement(digest: string): Uint8Array {
  return encoder.encode(JSON.stringify({
    _type: "https://in-toto.io/Statement/v1",
    subject: [{ digest: { sha256: digest.slice("sha256:".length) }, annotations: {} }],
    predicateType: cosignSignPredicate,
    predicate: {},
  }));
}

/** The bundle's `publicKey.hint`: base64 of the SHA-256 of the key's PKIX DER. */
async function keyHint(key: CryptoKey): Promise<string> {
  const der = new Uint8Array(await crypto.subtle.exportKey("spki", key));
  return toBase64(new Uint8Array(await crypto.subtle.digest("SHA-256", der)));
}

/** What signing with a Sigstore bundle did. */
export interface BundleSignResult {
  /** A Sigstore bundle stored as a referrer of the chart. */
  form: "bundle";
  /** The referrer manifest holding the bundle, as a referrers list holds it. */
  referrer: Descriptor;
  /** The bundle itself (the referrer's layer). */
  layer: Descriptor;
  /** Always true: each signing writes a new bundle (ECDSA signatures differ each time). */
  written: true;
}

/**
 * Signs the manifest `subject` of `target` as cosign 3 does by default: a Sigstore bundle with a
 * DSSE envelope, pushed as a referrer (with `subject`; in the tag schema where the registry has
 * no referrers API).
 */
export async function signBundle(
  target: Target,
  subject: Descriptor,
  key: SigningKey,
): Promise<BundleSignResult> {
  const payload = statement(subject.digest);
  const signature = await signPayload(key.privateKey, pae(inTotoType, payload));
  const bundle = encoder.encode(JSON.stringify({
    mediaType: bundleType,
    verificationMaterial: { publicKey: { hint: await keyHint(key.publicKey) } },
    dsseEnvelope: {
      payload: toBase64(payload),
      payloadType: inTotoType,
      signatures: [{ sig: signature }],
    },
  }));
  const empty = encoder.encode("{}");
  const config = { mediaType: ociEmpty, digest: await digestOf(empty), size: empty.byteLength };
  const layer = { mediaType: bundleType, digest: await digestOf(bundle), size: bundle.byteLength };
  for (const [desc, bytes] of [[config, empty], [layer, bundle]] as const) {
    if (!(await target.exists(desc))) await target.push(desc, ReadableStream.from([bytes]));
  }
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: ociManifest,
    artifactType: bundleType,
    config,
    layers: [layer],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations: {
      "dev.sigstore.bundle.content": "dsse-envelope",
      "dev.sigstore.bundle.predicateType": cosignSignPredicate,
    },
  };
  const referrer = await attachReferrer(
    target,
    encodeManifest(manifest),
    bundleType,
    subject.digest,
  );
  return { form: "bundle", referrer, layer, written: true };
}

/** Why one bundle does not vouch, or undefined when it does. */
async function checkBundle(bytes: Uint8Array, key: CryptoKey, digest: string) {
  let bundle: Record<string, unknown>;
  try {
    bundle = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return "a bundle that is not JSON";
  }
  const envelope = bundle?.dsseEnvelope as
    | { payload?: unknown; payloadType?: unknown; signatures?: { sig?: unknown }[] }
    | undefined;
  if (!envelope || typeof envelope.payload !== "string") return "a bundle without a DSSE envelope";
  if (envelope.payloadType !== inTotoType) return `a bundle of ${String(envelope.payloadType)}`;
  let payload: Uint8Array;
  try {
    payload = fromBase64(envelope.payload);
  } catch {
    return "a bundle whose payload is not base64";
  }
  const signed = pae(inTotoType, payload);
  let verified = false;
  for (const { sig } of (envelope.signatures ?? []).slice(0, 8)) {
    if (typeof sig === "string" && await verifyPayload(key, signed, sig)) verified = true;
  }
  if (!verified) return "a bundle not signed by this key, or altered since";
  let claim: { predicateType?: unknown; subject?: { digest?: { sha256?: unknown } }[] };
  try {
    claim = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    return "a bundle whose statement is not JSON";
  }
  if (claim.predicateType !== cosignSignPredicate) {
    return `a bundle of predicate ${String(claim.predicateType)}`;
  }
  const hex = digest.slice("sha256:".length);
  if (!claim.subject?.some((s) => s?.digest?.sha256 === hex)) {
    return "a bundle signed for another manifest";
  }
  return undefined;
}

/** The bundle a referrer manifest holds (its bundle-type layer), or undefined when none. */
export async function readBundle(
  target: Target,
  referrer: Descriptor,
): Promise<Uint8Array | undefined> {
  if (referrer.mediaType !== ociManifest) return undefined; // an index holds no bundle itself
  const { manifest } = await fetchManifest(target, referrer.digest, referrer.digest);
  const layer = manifest.layers.find((l) => l.mediaType === bundleType);
  if (!layer || layer.size > maxBundleSize) return undefined;
  return await readAll(await target.fetch(layer), maxBundleSize);
}

/**
 * Looks for a Sigstore bundle referrer of the manifest `digest` in `target` signed by `key` over
 * exactly that digest. Returns the bundle's referrer descriptor, or the reasons none vouched
 * (empty when there are no bundles).
 */
export async function findBundleSignature(
  target: Target,
  digest: string,
  key: CryptoKey,
): Promise<{ found?: Descriptor; reasons: string[] }> {
  const referrers = await listReferrers(target, digest, { artifactType: bundleType, depth: 1 });
  const reasons: string[] = [];
  for (const referrer of referrers.slice(0, maxBundles)) {
    const bytes = await readBundle(target, referrer.desc);
    if (!bytes) {
      reasons.push("a bundle referrer without a readable bundle");
      continue;
    }
    const reason = await checkBundle(bytes, key, digest);
    if (!reason) return { found: referrer.desc, reasons };
    reasons.push(reason);
  }
  return { reasons };
}
