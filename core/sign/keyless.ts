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

/** Who must have signed: the certificate's subject (e-mail or URI) and OIDC issuer. */
export interface KeylessIdentity {
  /** The trusted-root file (Sigstore's `trusted_root.json` format). */
  trustedRoot: string;
  /** The certificate's subject alternative name, exactly. */
  identity: string;
  /** The OIDC issuer in the certificate, exactly. */
  issuer: string;
}

/**
 * Checks a keyless Sigstore bundle (JSON bytes) for the manifest `digest`: certificate chain and
 * log entry against `trustedRoot` (parsed JSON), identity and issuer, and a DSSE statement of
 * cosign's sign predicate naming the digest. Returns the reason it does not vouch, or undefined.
 */
export async function checkKeylessBundle(
  bundleBytes: Uint8Array,
  trustedRoot: unknown,
  who: KeylessIdentity,
  digest: string,
): Promise<string | undefined> {
  await ecDefaultDigest();
  const [{ Verifier, toSignedEntity, toTrustMaterial }, { bundleFromJSON }, { TrustedRoot }] =
    await Promise.all([
      import("@sigstore/verify"),
      import("@sigstore/bundle"),
      import("@sigstore/protobuf-specs"),
    ]);
  let bundle;
  try {
    bundle = bundleFromJSON(JSON.parse(new TextDecoder().decode(bundleBytes)));
  } catch (error) {
    return `a bundle that is not a Sigstore bundle (${(error as Error).message})`;
  }
  if (bundle.verificationMaterial.content.$case === "publicKey") {
    return "a bundle signed with a key, not keyless";
  }
  let material;
  try {
    material = toTrustMaterial(TrustedRoot.fromJSON(trustedRoot));
  } catch (error) {
    throw new SignatureError(
      `${who.trustedRoot}: not a trusted root (${(error as Error).message})`,
    );
  }
  try {
    new Verifier(material, { ctlogThreshold: 0 }).verify(toSignedEntity(bundle), {
      subjectAlternativeName: who.identity,
      extensions: { issuer: who.issuer },
    });
  } catch (error) {
    return `a keyless bundle that does not verify (${(error as Error).message})`;
  }
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
  return undefined;
}
