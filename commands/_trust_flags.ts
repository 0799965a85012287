/**
 * The flags that ask for a chart to be verified before it is stored or written (`--key`,
 * `--keyring`, keyless `--certificate-*`, `--accept-reference`), shared by pull, copy and verify,
 * how they become a requirement, and how a check's result is printed.
 * @module
 */
import { UsageError } from "./_errors.ts";
import type { KeylessIdentity } from "../core/sign/keyless.ts";
import type { TrustRequirement, TrustResult } from "../core/sign/trust.ts";
import { requirementOf } from "../core/sign/trust_options.ts";

/** gunshi argument definitions for verification. */
export const trustArgs = {
  key: {
    type: "string",
    multiple: true,
    description: "cosign public key (PEM) a signature must verify with (repeat: any one of them)",
  },
  keyring: {
    type: "string",
    multiple: true,
    description: "PGP keyring (gpg --export) the chart's Helm provenance must be signed from",
  },
  "certificate-identity": {
    type: "string",
    description: "Keyless: the signing certificate's identity (e-mail or URI), exactly",
  },
  "certificate-identity-regexp": {
    type: "string",
    description: "Keyless: a regular expression the certificate's identity must match",
  },
  "certificate-oidc-issuer": {
    type: "string",
    description: "Keyless: the OIDC issuer in the signing certificate, exactly",
  },
  "certificate-oidc-issuer-regexp": {
    type: "string",
    description: "Keyless: a regular expression the certificate's OIDC issuer must match",
  },
  "trusted-root": {
    type: "string",
    description: "Keyless: the Sigstore trusted-root file (trusted_root.json) to check against",
  },
  "accept-reference": {
    type: "string",
    multiple: true,
    description:
      "Also accept signatures naming this repository (registry/repository), e.g. a copy's source",
  },
} as const;

/** The values gunshi parsed for `trustArgs`. */
export interface TrustValues {
  key?: string[];
  keyring?: string[];
  "certificate-identity"?: string;
  "certificate-identity-regexp"?: string;
  "certificate-oidc-issuer"?: string;
  "certificate-oidc-issuer-regexp"?: string;
  "trusted-root"?: string;
  "accept-reference"?: string[];
}

/** The keyless signer the flags name, or undefined when no keyless flag was given. */
function keylessSigner(values: TrustValues): KeylessIdentity | undefined {
  const identity = values["certificate-identity"];
  const identityRegexp = values["certificate-identity-regexp"];
  const issuer = values["certificate-oidc-issuer"];
  const issuerRegexp = values["certificate-oidc-issuer-regexp"];
  const trustedRoot = values["trusted-root"];
  const given = [identity, identityRegexp, issuer, issuerRegexp, trustedRoot];
  if (given.every((v) => v === undefined)) return undefined;
  const one = (exact?: string, pattern?: string) =>
    (exact === undefined) !== (pattern === undefined);
  if (!one(identity, identityRegexp) || !one(issuer, issuerRegexp) || trustedRoot === undefined) {
    throw new UsageError(
      "keyless verification needs --certificate-identity (or -regexp), " +
        "--certificate-oidc-issuer (or -regexp) and --trusted-root, one of each pair",
    );
  }
  for (const [flag, pattern] of [["identity", identityRegexp], ["oidc-issuer", issuerRegexp]]) {
    if (pattern === undefined) continue;
    try {
      new RegExp(pattern, "u");
    } catch (error) {
      throw new UsageError(`--certificate-${flag}-regexp: ${(error as Error).message}`);
    }
  }
  return { identity, identityRegexp, issuer, issuerRegexp, trustedRoot };
}

/** The requirement the flags state (key files read), or undefined when none was given. */
export async function trustRequirement(
  values: TrustValues,
): Promise<TrustRequirement | undefined> {
  const signer = keylessSigner(values);
  return await requirementOf({
    keys: values.key,
    keyrings: values.keyring,
    identities: signer ? [signer] : [],
    acceptReferences: values["accept-reference"],
  });
}

/** What vouched, as `chart verify` prints it. */
export function trustLine(result: TrustResult): string {
  switch (result.kind) {
    case "cosign":
      return `signed with ${result.key} as ${result.signature.claim.dockerReference}`;
    case "bundle":
      return `signed with ${result.key} (Sigstore bundle ${result.referrer.digest})`;
    case "keyless":
      return `signed by ${result.identity} (issuer ${result.issuer}, ` +
        `${result.tag ?? `Sigstore bundle ${result.referrer.digest}`})`;
    case "provenance":
      return `provenance signed by ${result.provenance.signedBy} (${result.key})`;
  }
}

/** What vouched, as `chart verify --key ... --output json` prints it (`kind` says which form). */
export function trustJson(result: TrustResult): Record<string, unknown> {
  switch (result.kind) {
    case "cosign":
      return {
        kind: result.kind,
        key: result.key,
        dockerReference: result.signature.claim.dockerReference,
        signature: result.signature.layer.digest,
      };
    case "bundle":
      return { kind: result.kind, key: result.key, referrer: result.referrer.digest };
    case "keyless":
      return {
        kind: result.kind,
        identity: result.identity,
        issuer: result.issuer,
        // A Sigstore bundle's referrer manifest, or, with `tag`, the .sig layer (classic form).
        referrer: result.referrer.digest,
        ...(result.tag ? { tag: result.tag } : {}),
      };
    case "provenance":
      return { kind: result.kind, key: result.key, signedBy: result.provenance.signedBy };
  }
}
