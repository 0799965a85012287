/**
 * The options that ask for a chart to be checked before it is stored or written (pull's `verify`
 * with `keys`, `keyrings` or keyless `identities`), how they become a `TrustRequirement`, and the
 * rule that they go together.
 * @module
 */
import { type Config, loadConfig } from "../config.ts";
import { option, phrase, SettingError } from "../errors.ts";
import type { KeylessIdentity } from "./keyless.ts";
import { policyFor } from "./policy.ts";
import type { TrustRequirement } from "./trust.ts";

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
  // Loaded only when keys are named: a pull without them never loads the signing code.
  const { readKeyrings, readKeys } = await import("./trust.ts");
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

/**
 * What a chart of `registry/repository` must carry: `given` when set (flags, options), else the
 * trust policy covering the repository in `config` (default: the config file, read now), else
 * nothing. The signing code is loaded only when a policy applies.
 */
export async function requirementFor(
  given: TrustRequirement | undefined,
  registry: string,
  repository: string,
  config?: Promise<Config>,
): Promise<TrustRequirement | undefined> {
  if (given) return given;
  const policy = policyFor((await (config ?? loadConfig())).trust ?? [], registry, repository);
  if (!policy) return undefined;
  const { policyRequirement } = await import("./trust.ts");
  return await policyRequirement(policy);
}
