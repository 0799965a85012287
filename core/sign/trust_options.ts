/**
 * The options that ask for a chart to be checked before it is stored or written (pull's `verify`
 * with `keys`, `keyrings` or keyless `identities`), how they become a `TrustRequirement`, and the
 * rule that they go together.
 * @module
 */
import { option, phrase, SettingError } from "../errors.ts";
import type { KeylessIdentity } from "./keyless.ts";
import { readKeyrings, readKeys, type TrustRequirement } from "./trust.ts";

/** What a chart must be signed with: any one key, keyring or keyless signer vouching is enough. */
export interface TrustOptions {
  /** cosign public key files. */
  keys?: string[];
  /** PGP keyring files, for the chart's Helm provenance. */
  keyrings?: string[];
  /** Keyless signers: a Sigstore bundle by one of these identities vouches. */
  identities?: KeylessIdentity[];
  /** Repositories whose signatures count too (a copy's source), `registry/repository`. */
  acceptReferences?: string[];
  /** A requirement built already (keys read): used instead of the above. */
  trust?: TrustRequirement;
}

/** The requirement `options` state (key files read), or undefined when they name nothing. */
export async function requirementOf(
  options: TrustOptions,
): Promise<TrustRequirement | undefined> {
  if (options.trust) return options.trust;
  const { keys = [], keyrings = [], identities = [] } = options;
  if (!keys.length && !keyrings.length && !identities.length) return undefined;
  return {
    keys: await readKeys(keys),
    keyrings: await readKeyrings(keyrings),
    identities,
    acceptReferences: options.acceptReferences,
  };
}

/**
 * `verify` needs something to verify with, and what to verify with is only given with `verify`:
 * a `SettingError` otherwise. Returns `requirement`.
 */
export function requireVerify(
  verify: boolean | undefined,
  requirement: TrustRequirement | undefined,
): TrustRequirement | undefined {
  if (verify && !requirement) {
    throw new SettingError(
      phrase`${option("verify")} needs ${option("keys")} FILE (a cosign public key), ${
        option("keyrings")
      } FILE (a PGP keyring) or ${option("certificateIdentity")} with ${
        option("certificateOidcIssuer")
      } and ${option("trustedRoot")}`,
      { setting: "verify" },
    );
  }
  if (!verify && requirement) {
    throw new SettingError(
      phrase`${option("keys")}, ${option("keyrings")} and ${
        option("identities")
      } are for checking signatures: add ${option("verify")}`,
      { setting: "verify" },
    );
  }
  return requirement;
}
