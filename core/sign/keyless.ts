/**
 * Keyless cosign signatures: a Sigstore bundle whose signing certificate (Fulcio's) and
 * transparency-log entry (Rekor's) are checked offline against a trusted-root file, with the
 * certificate's identity and OIDC issuer matched as cosign's `--certificate-identity` and
 * `--certificate-oidc-issuer` do. The certificate and log checks are @sigstore/verify's, loaded on
 * use; h3 checks that the signed statement names the manifest digest.
 * @module
 */
import { SignatureError } from "../errors.ts";
import { cosignSignPredicate } from "./bundle.ts";
import { parsePayload, type SignatureLayer, type SimpleSigningClaim } from "./cosign.ts";
import { fromBase64, pemBlocks, toBase64 } from "./keys.ts";

let patched: Promise<void> | undefined;

/**
 * @sigstore/core verifies ECDSA signatures with `crypto.verify(null, ...)`, relying on Node's
 * default digest for EC keys; Deno's node:crypto has none ("no default digest") and every check
 * would fail. Give EC keys the digest Node (and Sigstore) use for their curve, once, before the
 * Sigstore libraries run. Other calls are passed through unchanged.
 */
function ecDefaultDigest(): Promise<void> {
  patched ??= (async () => {
    const nodeCrypto = (await import("node:crypto")).default;
    const verify = nodeCrypto.verify;
    const digests: Record<string, string> = {
      "secp384r1": "sha384",
      "P-384": "sha384",
      "secp521r1": "sha512",
      "P-521": "sha512",
    };
    const withDigest = (algorithm: string | null | undefined, key: unknown) => {
      if (algorithm !== null && algorithm !== undefined) return algorithm;
      const k = key as {
        asymmetricKeyType?: string;
        asymmetricKeyDetails?: { namedCurve?: string };
      };
      if (k?.asymmetricKeyType !== "ec") return algorithm;
      return digests[k.asymmetricKeyDetails?.namedCurve ?? ""] ?? "sha256";
    };
    nodeCrypto.verify = ((algorithm, data, key, signature, callback) =>
      // deno-lint-ignore no-explicit-any
      (verify as any)(withDigest(algorithm, key), data, key, signature, callback)) as typeof verify;
  })();
  return patched;
}

/**
 * Who must have signed: the certificate's subject (e-mail or URI) and OIDC issuer, each exactly or
 * as a regular expression (unanchored, as cosign's `--certificate-identity-regexp` and
 * `--certificate-oidc-issuer-regexp` match); one of each pair is given.
 */
export interface KeylessIdentity {
  /** The trusted-root file (Sigstore's `trusted_root.json` format). */
  trustedRoot: string;
  /** The certificate's subject alternative name, exactly. */
  identity?: string;
  /** A regular expression the subject alternative name must match. */
  identityRegexp?: string;
  /** The OIDC issuer in the certificate, exactly. */
  issuer?: string;
  /** A regular expression the OIDC issuer must match. */
  issuerRegexp?: string;
}

/** Who signed a keyless signature, as its certificate says. */
export interface KeylessSigner {
  /** The certificate's subject alternative name. */
  identity: string;
  /** Its OIDC issuer extension. */
  issuer: string;
}

/** How `who` is named in messages: the exact identity, else its pattern between slashes. */
export function identityLabel(who: KeylessIdentity): string {
  return who.identity ?? `/${who.identityRegexp ?? ""}/`;
}

/** A regular expression given as a pattern, or the `SignatureError` that it is not one. */
export function compilePattern(pattern: string, what: string): RegExp {
  try {
    return new RegExp(pattern, "u");
  } catch (error) {
    throw new SignatureError(`invalid ${what} regular expression: ${(error as Error).message}`);
  }
}

/** Why the certificate's `signer` is not `who`, or undefined when it is. */
function mismatch(who: KeylessIdentity, signer: Partial<KeylessSigner>): string | undefined {
  const check = (what: string, got: string | undefined, exact?: string, pattern?: string) => {
    if (exact === undefined && pattern === undefined) {
      return `no ${what} to match was given`;
    }
    if (exact !== undefined && got !== exact) {
      return `certificate ${what} is ${got ?? "(none)"}, not ${exact}`;
    }
    if (pattern !== undefined && !compilePattern(pattern, what).test(got ?? "")) {
      return `certificate ${what} ${got ?? "(none)"} does not match /${pattern}/`;
    }
    return undefined;
  };
  return check("identity", signer.identity, who.identity, who.identityRegexp) ??
    check("issuer", signer.issuer, who.issuer, who.issuerRegexp);
}

/** The Sigstore libraries, loaded on first use (they are heavy: never on the start path). */
async function sigstore() {
  await ecDefaultDigest();
  const [verify, bundle, specs, { Buffer }] = await Promise.all([
    import("@sigstore/verify"),
    import("@sigstore/bundle"),
    import("@sigstore/protobuf-specs"),
    import("node:buffer"),
  ]);
  return { ...verify, ...bundle, TrustedRoot: specs.TrustedRoot, Buffer };
}

type Libraries = Awaited<ReturnType<typeof sigstore>>;
type ParsedBundle = ReturnType<Libraries["bundleFromJSON"]>;

/**
 * Verifies `bundle` (over `artifact` for a message signature) against `trustedRoot`: certificate
 * chain to a trusted CA, valid at the log's integrated time (or a signed timestamp's), each log
 * entry's inclusion (SET and, when present, the inclusion proof against a signed checkpoint) and
 * the signature; then that the certificate names `who`. Returns the signer, or why not.
 */
function verifyEntity(
  lib: Libraries,
  bundle: ParsedBundle,
  trustedRoot: unknown,
  who: KeylessIdentity,
  artifact?: Uint8Array,
): KeylessSigner | string {
  let material;
  try {
    material = lib.toTrustMaterial(lib.TrustedRoot.fromJSON(trustedRoot));
  } catch (error) {
    throw new SignatureError(
      `${who.trustedRoot}: not a trusted root (${(error as Error).message})`,
    );
  }
  let identity;
  try {
    const entity = lib.toSignedEntity(
      bundle,
      artifact && lib.Buffer.from(artifact.buffer, artifact.byteOffset, artifact.byteLength),
    );
    identity = new lib.Verifier(material, { ctlogThreshold: 0 }).verify(entity).identity;
  } catch (error) {
    return `a keyless signature that does not verify (${(error as Error).message})`;
  }
  const signer = {
    identity: identity?.subjectAlternativeName,
    issuer: identity?.extensions?.issuer,
  };
  const wrong = mismatch(who, signer);
  if (wrong) return `a keyless signature by another signer (${wrong})`;
  return signer as KeylessSigner;
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
  const lib = await sigstore();
  let bundle;
  try {
    bundle = lib.bundleFromJSON(JSON.parse(new TextDecoder().decode(bundleBytes)));
  } catch (error) {
    return `a bundle that is not a Sigstore bundle (${(error as Error).message})`;
  }
  if (bundle.verificationMaterial.content.$case === "publicKey") {
    return "a bundle signed with a key, not keyless";
  }
  const signer = verifyEntity(lib, bundle, trustedRoot, who);
  if (typeof signer === "string") return signer.replace("keyless signature", "keyless bundle");
  if (bundle.content.$case !== "dsseEnvelope") return "a keyless bundle without a DSSE statement";
  let claim: { predicateType?: unknown; subject?: { digest?: { sha256?: unknown } }[] };
  try {
    claim = JSON.parse(new TextDecoder().decode(bundle.content.dsseEnvelope.payload));
  } catch {
    return "a keyless bundle whose statement is not JSON";
  }
  if (claim.predicateType !== cosignSignPredicate) {
    return `a keyless bundle of predicate ${String(claim.predicateType)}`;
  }
  const hex = digest.slice("sha256:".length);
  if (!claim.subject?.some((s) => s?.digest?.sha256 === hex)) {
    return "a keyless bundle signed for another manifest";
  }
  return signer;
}

/** The annotations of cosign's classic keyless signatures. */
const certificateAnnotation = "dev.sigstore.cosign/certificate";
const rekorBundleAnnotation = "dev.sigstore.cosign/bundle";
const timestampAnnotation = "dev.sigstore.cosign/rfc3161timestamp";

/** Whether a `.sig` layer is a keyless signature (it carries a certificate). */
export function isKeylessLayer(layer: SignatureLayer): boolean {
  return layer.layer.annotations?.[certificateAnnotation] !== undefined;
}

/**
 * The Sigstore bundle (v0.1, message signature) a classic keyless `.sig` layer amounts to: its
 * certificate, its Rekor bundle annotation (the hashedrekord entry and its SET) and signed
 * timestamp annotation, over the payload. Undefined when the annotations are not readable.
 */
async function layerBundle(sig: SignatureLayer): Promise<unknown> {
  const annotations = sig.layer.annotations ?? {};
  const cert = pemBlocks(annotations[certificateAnnotation] ?? "")
    .find((b) => b.label === "CERTIFICATE");
  if (!cert) return undefined;
  const rekor = JSON.parse(annotations[rekorBundleAnnotation] ?? "null") as {
    SignedEntryTimestamp?: string;
    Payload?: { body?: string; integratedTime?: number; logIndex?: number; logID?: string };
  } | null;
  const entries = [];
  if (rekor?.Payload?.body && rekor.SignedEntryTimestamp && rekor.Payload.logID) {
    const body = JSON.parse(new TextDecoder().decode(fromBase64(rekor.Payload.body)));
    const logId = Uint8Array.from(
      rekor.Payload.logID.match(/[0-9a-f]{2}/g) ?? [],
      (h) => parseInt(h, 16),
    );
    entries.push({
      logIndex: String(rekor.Payload.logIndex),
      logId: { keyId: toBase64(logId) },
      kindVersion: { kind: String(body?.kind), version: String(body?.apiVersion) },
      integratedTime: String(rekor.Payload.integratedTime),
      inclusionPromise: { signedEntryTimestamp: rekor.SignedEntryTimestamp },
      canonicalizedBody: rekor.Payload.body,
    });
  }
  const stamp = annotations[timestampAnnotation];
  const timestamps = stamp ? [{ signedTimestamp: JSON.parse(stamp).SignedRFC3161Timestamp }] : [];
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", sig.payload as Uint8Array<ArrayBuffer>),
  );
  return {
    mediaType: "application/vnd.dev.sigstore.bundle+json;version=0.1",
    verificationMaterial: {
      x509CertificateChain: { certificates: [{ rawBytes: toBase64(cert.der) }] },
      tlogEntries: entries,
      ...(timestamps.length
        ? { timestampVerificationData: { rfc3161Timestamps: timestamps } }
        : {}),
    },
    messageSignature: {
      messageDigest: { algorithm: "SHA2_256", digest: toBase64(digest) },
      signature: sig.signature,
    },
  };
}

/**
 * Checks a classic keyless signature (a `.sig` layer carrying a Fulcio certificate, a Rekor bundle
 * and maybe a signed timestamp, as cosign wrote before bundles) for the manifest `digest`, as
 * `checkKeylessBundle` checks a bundle. Returns the signer and the payload's claim (whose
 * repository the caller matches), or the reason it does not vouch.
 */
export async function checkKeylessLayer(
  sig: SignatureLayer,
  trustedRoot: unknown,
  who: KeylessIdentity,
  digest: string,
): Promise<{ signer: KeylessSigner; claim: SimpleSigningClaim } | string> {
  const lib = await sigstore();
  let bundle;
  try {
    bundle = lib.bundleFromJSON(await layerBundle(sig));
  } catch (error) {
    return `a keyless signature whose annotations are not readable (${(error as Error).message})`;
  }
  const signer = verifyEntity(lib, bundle, trustedRoot, who, sig.payload);
  if (typeof signer === "string") return signer;
  let claim: SimpleSigningClaim;
  try {
    claim = parsePayload(sig.payload);
  } catch (error) {
    return (error as Error).message;
  }
  if (claim.digest !== digest) return `a keyless signature for another manifest (${claim.digest})`;
  return { signer, claim };
}
