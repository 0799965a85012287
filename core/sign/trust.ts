/**
 * What a chart must carry to be trusted, and the check: a cosign signature by one of the given
 * public keys over the exact manifest digest, naming the repository (or a name accepted besides),
 * or Helm provenance signed by a key of one of the given PGP keyrings.
 * Pull, export and copy run it before any blob moves, so nothing unverified is stored.
 * @module
 */
import { chartParts } from "../chart/manifest.ts";
import { fetchManifest } from "../copy.ts";
import { readAll } from "../digest.ts";
import { fileProblem, SignatureError } from "../errors.ts";
import type { Descriptor, Manifest } from "../oci/descriptor.ts";
import type { Target } from "../target.ts";
import { bundleType, findBundleSignature, readBundle } from "./bundle.ts";
import {
  checkKeylessBundle,
  checkKeylessLayer,
  identityLabel,
  isKeylessLayer,
  type KeylessIdentity,
} from "./keyless.ts";
import { listReferrers } from "../referrers.ts";
import {
  readSignatures,
  referenceMismatch,
  type ReferenceRule,
  signatureTag,
  type VerifiedSignature,
  verifyManifestSignature,
} from "./cosign.ts";
import { readPublicKey } from "./keys.ts";
import type { TrustPolicy } from "./policy.ts";
import { checkProvenance, maxProvenanceSize, type ProvenanceResult } from "./provenance.ts";

/** A public key and the name it is known by (its file). */
export interface NamedKey {
  /** The key (ECDSA, Ed25519 or RSA; usage `verify`). */
  key: CryptoKey;
  /** Where it came from, for messages. */
  name: string;
}

/** A PGP keyring file's bytes and its name. */
export interface NamedKeyring {
  /** The keyring (`gpg --export`, binary or armored). */
  bytes: Uint8Array;
  /** Where it came from, for messages. */
  name: string;
}

/** What vouches for a chart: any one of these. */
export interface TrustRequirement {
  /** cosign public keys: a signature by any one of them vouches. */
  keys: NamedKey[];
  /** PGP keyrings: Helm provenance signed by a key in any one of them vouches. */
  keyrings?: NamedKeyring[];
  /** Keyless signers: a Sigstore bundle by one of these identities (and issuers) vouches. */
  identities?: KeylessIdentity[];
  /** Repositories (`registry/repository`) whose signatures count too: a mirror's source. */
  acceptReferences?: string[];
}

/** What the check found: a cosign signature, or Helm provenance. */
export type TrustResult =
  | {
    kind: "cosign";
    /** The key whose signature vouched. */
    key: string;
    /** The signature. */
    signature: VerifiedSignature;
  }
  | {
    kind: "bundle";
    /** The key whose signature vouched. */
    key: string;
    /** The Sigstore bundle's referrer manifest. */
    referrer: Descriptor;
  }
  | {
    kind: "keyless";
    /** The certificate identity that signed (as its certificate names it). */
    identity: string;
    /** Its OIDC issuer (as its certificate names it). */
    issuer: string;
    /** The Sigstore bundle's referrer manifest, or the `.sig` layer that held the signature. */
    referrer: Descriptor;
    /** For a classic keyless signature: the `sha256-<hex>.sig` tag it is stored under. */
    tag?: string;
  }
  | {
    kind: "provenance";
    /** The keyring that held the signing key. */
    key: string;
    /** What the provenance says. */
    provenance: ProvenanceResult;
  };

/**
 * A cosign signature by `key`: the classic `.sig` form first, else a Sigstore bundle referrer
 * (cosign 3's default). Bundles name no repository, so `rule` applies to the classic form only.
 */
async function verifyCosign(
  target: Target,
  digest: string,
  { key, name }: NamedKey,
  rule: ReferenceRule,
  subject: string,
): Promise<TrustResult> {
  let classic: SignatureError;
  try {
    const signature = await verifyManifestSignature(target, digest, key, rule, subject);
    return { kind: "cosign", key: name, signature };
  } catch (error) {
    if (!(error instanceof SignatureError)) throw error;
    classic = error;
  }
  const bundles = await findBundleSignature(target, digest, key);
  if (bundles.found) return { kind: "bundle", key: name, referrer: bundles.found };
  if (!bundles.reasons.length) {
    classic.message = classic.message.replace(/ tag\)$/, " tag, no Sigstore bundle)");
    throw classic;
  }
  const found = `${bundles.reasons.length} bundle${bundles.reasons.length === 1 ? "" : "s"}: ` +
    [...new Set(bundles.reasons)].join("; ");
  throw new SignatureError(
    classic.message.includes("no cosign signature (")
      ? `${subject}: no valid signature (${found})`
      : classic.message.replace(/\)$/, `; ${found})`),
  );
}

/**
 * A keyless signature of `digest` by `who`: a classic `.sig` layer carrying a certificate (its
 * payload naming a repository `rule` accepts), else a Sigstore bundle referrer.
 */
async function verifyKeyless(
  target: Target,
  digest: string,
  who: KeylessIdentity,
  rule: ReferenceRule,
  subject: string,
): Promise<TrustResult> {
  let root: unknown;
  try {
    root = JSON.parse(await Deno.readTextFile(who.trustedRoot));
  } catch (error) {
    throw new SignatureError(
      `cannot read trusted root ${who.trustedRoot}: ${fileProblem(error)}`,
    );
  }
  const reasons: string[] = [];
  const layers = (await readSignatures(target, digest)).layers.filter(isKeylessLayer);
  for (const layer of layers) {
    const found = await checkKeylessLayer(layer, root, who, digest);
    const mismatch = typeof found === "string"
      ? found
      : referenceMismatch(rule, found.claim.dockerReference);
    if (typeof found !== "string" && !mismatch) {
      return { kind: "keyless", ...found.signer, referrer: layer.layer, tag: signatureTag(digest) };
    }
    reasons.push(mismatch!);
  }
  const referrers = await listReferrers(target, digest, { artifactType: bundleType, depth: 1 });
  let bundles = 0;
  for (const referrer of referrers.slice(0, 32)) {
    bundles++;
    const bytes = await readBundle(target, referrer.desc);
    const found = bytes
      ? await checkKeylessBundle(bytes, root, who, digest)
      : "a bundle referrer without a readable bundle";
    if (typeof found !== "string") return { kind: "keyless", ...found, referrer: referrer.desc };
    reasons.push(found);
  }
  if (!reasons.length) {
    throw new SignatureError(`${subject}: no Sigstore bundle or keyless signature to verify`);
  }
  const counted = [
    layers.length && `${layers.length} keyless signature${layers.length === 1 ? "" : "s"}`,
    bundles && `${bundles} bundle${bundles === 1 ? "" : "s"}`,
  ].filter(Boolean).join(", ");
  throw new SignatureError(
    `${subject}: no valid signature by ${identityLabel(who)} (${counted}: ` +
      `${[...new Set(reasons)].join("; ")})`,
  );
}

/** Reads PGP keyring files. */
export async function readKeyrings(paths: string[]): Promise<NamedKeyring[]> {
  return await Promise.all(paths.map(async (path) => {
    try {
      return { bytes: await Deno.readFile(path), name: path };
    } catch (error) {
      throw new SignatureError(`cannot read keyring ${path}: ${fileProblem(error)}`);
    }
  }));
}

/** Checks the chart's provenance layer against `keyring`. */
async function checkChartProvenance(
  target: Target,
  manifest: Manifest,
  keyring: NamedKeyring,
  subject: string,
): Promise<ProvenanceResult> {
  const parts = chartParts(manifest);
  if (!parts.provenance) {
    throw new SignatureError(`${subject}: no Helm provenance (the chart was pushed unsigned)`);
  }
  if (parts.provenance.size > maxProvenanceSize) {
    throw new SignatureError(`${subject}: the provenance is over ${maxProvenanceSize} bytes`);
  }
  const bytes = await readAll(await target.fetch(parts.provenance), maxProvenanceSize);
  try {
    return await checkProvenance(
      new TextDecoder().decode(bytes),
      keyring.bytes,
      keyring.name,
      parts.content.digest,
    );
  } catch (error) {
    if (error instanceof SignatureError) error.message = `${subject}: ${error.message}`;
    throw error;
  }
}

/** Reads PKIX public key files into a requirement. */
export async function readKeys(paths: string[]): Promise<NamedKey[]> {
  return await Promise.all(paths.map(async (path) => {
    let pem: string;
    try {
      pem = await Deno.readTextFile(path);
    } catch (error) {
      throw new SignatureError(`cannot read key ${path}: ${fileProblem(error)}`);
    }
    return { key: await readPublicKey(pem, path), name: path };
  }));
}

/**
 * Checks that the manifest `desc` in `target` (the repository `repository`, `registry/repository`)
 * is signed as `requirement` asks (any one key or keyring vouching is enough); throws a one-line
 * `SignatureError` naming `subject` otherwise. `manifest` is read when provenance needs it.
 */
export async function checkTrust(
  target: Target,
  desc: Descriptor,
  repository: string,
  requirement: TrustRequirement,
  subject: string,
  manifest?: Manifest,
): Promise<TrustResult> {
  const keyrings = requirement.keyrings ?? [];
  const identities = requirement.identities ?? [];
  const count = requirement.keys.length + keyrings.length + identities.length;
  if (!count) throw new SignatureError(`${subject}: no key to verify with`);
  const rule = { repository, accept: requirement.acceptReferences };
  const failures: string[] = [];
  const attempt = async (name: string, check: () => Promise<TrustResult>) => {
    try {
      return await check();
    } catch (error) {
      if (!(error instanceof SignatureError) || count === 1) throw error;
      failures.push(`${name}: ${error.message.slice(subject.length + 2)}`);
      return undefined;
    }
  };
  for (const { key, name } of requirement.keys) {
    const result = await attempt(
      name,
      () => verifyCosign(target, desc.digest, { key, name }, rule, subject),
    );
    if (result) return result;
  }
  for (const who of identities) {
    const result = await attempt(
      identityLabel(who),
      () => verifyKeyless(target, desc.digest, who, rule, subject),
    );
    if (result) return result;
  }
  for (const keyring of keyrings) {
    const result = await attempt(keyring.name, async () => {
      manifest ??= (await fetchManifest(target, desc.digest, desc.digest)).manifest;
      return {
        kind: "provenance",
        key: keyring.name,
        provenance: await checkChartProvenance(target, manifest, keyring, subject),
      };
    });
    if (result) return result;
  }
  throw new SignatureError(`${subject}: no valid signature by any key (${failures.join("; ")})`);
}

/** What a trust policy of the config asks, with its key files read. */
export async function policyRequirement(policy: TrustPolicy): Promise<TrustRequirement> {
  return {
    keys: await readKeys(policy.keys),
    keyrings: await readKeyrings(policy.keyrings),
    acceptReferences: policy.acceptReferences,
    identities: policy.keyless,
  };
}

/** A check of manifests of `target` (the repository `registry/repository`) for `requirement`. */
export function trustCheck(
  target: Target,
  requirement: TrustRequirement,
  registry: string,
  repository: string,
  subject: string,
): (desc: Descriptor, manifest: Manifest) => Promise<TrustResult> {
  return (desc, manifest) =>
    checkTrust(target, desc, `${registry}/${repository}`, requirement, subject, manifest);
}
