/**
 * The flags that ask for a chart to be verified before it is stored or written (`--verify`,
 * `--key`, `--accept-reference`), shared by pull and verify, and how they become a check.
 * @module
 */
import { UsageError } from "../core/errors.ts";
import type { Descriptor } from "../core/oci/descriptor.ts";
import type { Reference } from "../core/ref.ts";
import { checkTrust, readKeys, type TrustRequirement } from "../core/sign/trust.ts";
import type { Target } from "../core/target.ts";

/** gunshi argument definitions for verification. */
export const trustArgs = {
  key: {
    type: "string",
    multiple: true,
    description: "cosign public key (PEM) a signature must verify with (repeat: any one of them)",
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
  "accept-reference"?: string[];
}

/** The requirement the flags state, or undefined when none was given. */
export async function trustRequirement(
  values: TrustValues,
): Promise<TrustRequirement | undefined> {
  const keys = values.key ?? [];
  if (!keys.length) return undefined;
  return { keys: await readKeys(keys), acceptReferences: values["accept-reference"] };
}

/** A check of one chart's manifest in `repository` against `requirement`. */
export function verifier(
  requirement: TrustRequirement,
  repository: Target,
  ref: Reference,
  subject: string,
): (desc: Descriptor) => Promise<unknown> {
  return (desc) =>
    checkTrust(repository, desc, `${ref.registry}/${ref.repository}`, requirement, subject);
}

/** `--verify` needs something to verify with. */
export function requireTrust(
  verify: boolean | undefined,
  requirement: TrustRequirement | undefined,
): TrustRequirement | undefined {
  if (verify && !requirement) {
    throw new UsageError("--verify needs --key FILE (a cosign public key)");
  }
  if (!verify && requirement) {
    throw new UsageError("--key is for checking signatures: add --verify");
  }
  return requirement;
}
