/**
 * The library's signing and trust functions. Each imports its module when it is called, so a
 * script that lists, pulls or pushes loads none of the signing code (openpgp, Sigstore, the trust
 * policy's config and YAML). Same parameters and results as the functions they call.
 * @module
 */
import type { Descriptor, Manifest } from "./oci/descriptor.ts";
import type { Target } from "./target.ts";
import type { ProvenanceResult } from "./sign/provenance.ts";
import type { NamedKey, NamedKeyring, TrustRequirement, TrustResult } from "./sign/trust.ts";
import type { PasswordSource, SigningKey } from "./sign/keys.ts";
import type { ChartSignResult } from "./sign/sign.ts";
import type { BundleSignResult } from "./sign/bundle.ts";
import type { KeylessIdentity, KeylessSigner } from "./sign/keyless.ts";

/**
 * Clearsigns `message` with the key in `keyring` whose user ID contains `keyName` (Helm's
 * `--key`), asking `passphrase` only when the key is protected.
 */
export async function signProvenance(
  message: string,
  keyring: Uint8Array,
  keyringName: string,
  keyName: string,
  passphrase: () => Promise<string>,
): Promise<string> {
  const { signProvenance } = await import("./sign/provenance.ts");
  return await signProvenance(message, keyring, keyringName, keyName, passphrase);
}

/** Checks a `.prov`'s signature against the keys of `keyring` and reads what it signs. */
export async function verifyProvenance(
  prov: string,
  keyring: Uint8Array,
  keyringName: string,
): Promise<ProvenanceResult> {
  const { verifyProvenance } = await import("./sign/provenance.ts");
  return await verifyProvenance(prov, keyring, keyringName);
}

/**
 * Checks a `.prov` as `helm verify` does: signed by a key of `keyring`, and its checksum of
 * `NAME-VERSION.tgz` (the chart `meta` names, else the signed metadata) is `contentDigest`, the
 * chart's content layer.
 */
export async function checkProvenance(
  prov: string,
  keyring: Uint8Array,
  keyringName: string,
  contentDigest: string,
  meta?: { name: string; version: string },
): Promise<ProvenanceResult> {
  const { checkProvenance } = await import("./sign/provenance.ts");
  return await checkProvenance(prov, keyring, keyringName, contentDigest, meta);
}

/** Reads PGP keyring files. */
export async function readKeyrings(paths: string[]): Promise<NamedKeyring[]> {
  const { readKeyrings } = await import("./sign/trust.ts");
  return await readKeyrings(paths);
}

/** Reads PKIX public key files into a requirement. */
export async function readKeys(paths: string[]): Promise<NamedKey[]> {
  const { readKeys } = await import("./sign/trust.ts");
  return await readKeys(paths);
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
  const { checkTrust } = await import("./sign/trust.ts");
  return await checkTrust(target, desc, repository, requirement, subject, manifest);
}

/**
 * What a chart of `registry/repository` must carry: `given` when set (flags, options), else the
 * config's trust policy covering the repository, else nothing.
 */
export async function requirementFor(
  given: TrustRequirement | undefined,
  registry: string,
  repository: string,
): Promise<TrustRequirement | undefined> {
  const { requirementFor } = await import("./sign/trust_options.ts");
  return await requirementFor(given, registry, repository);
}

/** Reads a cosign private key file; `password` is asked only when the key is encrypted. */
export async function readSigningKey(path: string, password: PasswordSource): Promise<SigningKey> {
  const { readSigningKey } = await import("./sign/sign.ts");
  return await readSigningKey(path, password);
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
  const { readPrivateKey } = await import("./sign/keys.ts");
  return await readPrivateKey(pem, source, password);
}

/** Reads a PKIX `PUBLIC KEY` PEM (ECDSA, Ed25519 or RSA); `source` names it in errors. */
export async function readPublicKey(pem: string, source: string): Promise<CryptoKey> {
  const { readPublicKey } = await import("./sign/keys.ts");
  return await readPublicKey(pem, source);
}

/**
 * Signs the manifest `subject` of `target` (the repository `registry/repository`, named in the
 * classic payload) with `key`: as a Sigstore bundle referrer with `bundle`, else in cosign's
 * classic `.sig` form.
 */
export async function signChart(
  target: Target,
  subject: Descriptor,
  repository: string,
  key: SigningKey,
  options?: { bundle?: boolean },
): Promise<ChartSignResult> {
  const { signChart } = await import("./sign/sign.ts");
  return await signChart(target, subject, repository, key, options);
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
  const { signBundle } = await import("./sign/bundle.ts");
  return await signBundle(target, subject, key);
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
  const { findBundleSignature } = await import("./sign/bundle.ts");
  return await findBundleSignature(target, digest, key);
}

/**
 * Checks a keyless Sigstore bundle (JSON bytes; v0.1, v0.2 or v0.3) for the manifest `digest`:
 * certificate chain and log entries against `trustedRoot` (parsed JSON), the signer against `who`,
 * and a DSSE statement of cosign's sign predicate naming the digest. Returns the signer, or the
 * reason it does not vouch.
 */
export async function checkKeylessBundle(
  bundleBytes: Uint8Array,
  trustedRoot: unknown,
  who: KeylessIdentity,
  digest: string,
): Promise<KeylessSigner | string> {
  const { checkKeylessBundle } = await import("./sign/keyless.ts");
  return await checkKeylessBundle(bundleBytes, trustedRoot, who, digest);
}
