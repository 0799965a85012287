/**
 * Trust policy in h3's config: per registry or repository prefix, which keys must have signed a
 * chart before pull, export or copy accept it.
 *
 * ```yaml
 * trust:
 *   - scope: registry.example.com/charts     # a registry host, or host/repository prefix
 *     keys: [keys/cosign.pub]                # cosign public keys: any one signature vouches
 *     keyrings: [keys/pubring.gpg]           # PGP keyrings for Helm provenance
 *     acceptReferences: [upstream.example.com/charts/app]  # a mirror's source names
 *     keyless:                               # Sigstore bundles by these identities
 *       - { identity: ci@example.com, issuer: https://token.example.com, trustedRoot: root.json }
 *       - { identityRegexp: "^https://github\\.com/org/", issuer: https://token.actions.githubusercontent.com,
 *           trustedRoot: root.json }                         # or issuerRegexp
 * ```
 *
 * The longest scope that covers `registry/repository` (whole path segments) applies.
 * @module
 */
import type { KeylessIdentity } from "./keyless.ts";

/** One policy of the config's `trust` list (file names resolved against the config's folder). */
export interface TrustPolicy {
  /** `host[:port]` or `host[:port]/repository/prefix`. */
  scope: string;
  /** cosign public key files. */
  keys: string[];
  /** PGP keyring files. */
  keyrings: string[];
  /** Names a signature may carry besides the repository's own (`registry/repository`). */
  acceptReferences: string[];
  /**
   * Keyless signers: identity and OIDC issuer (each exactly or as a regular expression) and the
   * trusted-root file to check them against.
   */
  keyless: KeylessIdentity[];
}

const policyKeys = ["scope", "keys", "keyrings", "acceptReferences", "keyless"];

/**
 * Parses the config's `trust` value; `fail(key, problem)` throws the config error, `dir` is the
 * config file's folder (relative key files are resolved against it).
 */
export function parseTrustPolicies(
  value: unknown,
  dir: string,
  fail: (key: string, problem: string) => never,
): TrustPolicy[] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) fail("trust", "must be a list of policies");
  return (value as unknown[]).map((item, i) => {
    const where = `trust[${i}]`;
    if (typeof item !== "object" || item === null || Array.isArray(item)) {
      fail(where, "must be a mapping (scope, keys, keyrings, acceptReferences)");
    }
    const entry = item as Record<string, unknown>;
    for (const key of Object.keys(entry)) {
      if (!policyKeys.includes(key)) {
        fail(`${where}.${key}`, `unknown; use ${policyKeys.join(", ")}`);
      }
    }
    const scope = entry.scope;
    if (typeof scope !== "string" || !/^[^/\s]+(\/[^/\s]+)*$/.test(scope)) {
      fail(`${where}.scope`, "must be a registry host or host/repository prefix");
    }
    const list = (key: string, files: boolean): string[] => {
      const v = entry[key] ?? [];
      if (!Array.isArray(v) || !v.every((s) => typeof s === "string" && s !== "")) {
        fail(`${where}.${key}`, "must be a list of names");
      }
      return (v as string[]).map((s) => !files || s.startsWith("/") ? s : `${dir}/${s}`);
    };
    const keyless = (Array.isArray(entry.keyless) ? entry.keyless : entry.keyless ? [null] : [])
      .map((signer: unknown, j: number) => {
        const k = signer as Record<string, unknown> | null;
        const at = `${where}.keyless[${j}]`;
        const text = (key: string) => {
          const v = k?.[key];
          if (v === undefined) return undefined;
          if (typeof v !== "string" || v === "") fail(`${at}.${key}`, "must be a non-empty string");
          return v as string;
        };
        const [identity, identityRegexp, issuer, issuerRegexp, root] = [
          "identity",
          "identityRegexp",
          "issuer",
          "issuerRegexp",
          "trustedRoot",
        ].map(text);
        const one = (a?: string, b?: string) => (a === undefined) !== (b === undefined);
        if (!one(identity, identityRegexp) || !one(issuer, issuerRegexp) || !root) {
          fail(
            at,
            "must give identity (or identityRegexp), issuer (or issuerRegexp) and trustedRoot",
          );
        }
        for (
          const [key, pattern] of [["identityRegexp", identityRegexp], [
            "issuerRegexp",
            issuerRegexp,
          ]]
        ) {
          if (pattern === undefined) continue;
          try {
            new RegExp(pattern, "u");
          } catch (error) {
            fail(`${at}.${key}`, `not a regular expression (${(error as Error).message})`);
          }
        }
        return {
          identity,
          identityRegexp,
          issuer,
          issuerRegexp,
          trustedRoot: root!.startsWith("/") ? root! : `${dir}/${root}`,
        };
      });
    const policy = {
      scope: (scope as string).toLowerCase(),
      keys: list("keys", true),
      keyrings: list("keyrings", true),
      acceptReferences: list("acceptReferences", false),
      keyless,
    };
    if (!policy.keys.length && !policy.keyrings.length && !policy.keyless.length) {
      fail(where, "names no keys, keyrings or keyless signers: nothing could satisfy it");
    }
    return policy;
  });
}

/** Whether `scope` covers `name` (`registry/repository`): equal, or a prefix up to a `/`. */
function covers(scope: string, name: string): boolean {
  return name === scope || name.startsWith(`${scope}/`);
}

/** The policy for `registry/repository`: the longest scope covering it, if any. */
export function policyFor(
  policies: TrustPolicy[],
  registry: string,
  repository: string,
): TrustPolicy | undefined {
  const name = `${registry}/${repository}`.toLowerCase();
  return policies.filter((p) => covers(p.scope, name))
    .sort((a, b) => b.scope.length - a.scope.length)[0];
}

/** The policies that concern a registry host (for `h3 env --registry`). */
export function policiesOfHost(policies: TrustPolicy[], host: string): TrustPolicy[] {
  const h = host.toLowerCase();
  return policies.filter((p) => p.scope === h || p.scope.startsWith(`${h}/`));
}
