/**
 * What a chart must carry to be trusted, and the check: a cosign signature by one of the given
 * public keys over the exact manifest digest, naming the repository (or a name accepted besides).
 * Pull, export and copy run it before any blob moves, so nothing unverified is stored.
 * @module
 */
import { SignatureError } from "../errors.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import type { Target } from "../target.ts";
import { type VerifiedSignature, verifyManifestSignature } from "./cosign.ts";
import { readPublicKey } from "./keys.ts";

/** A public key and the name it is known by (its file). */
export interface NamedKey {
  /** The key (ECDSA P-256, usage `verify`). */
  key: CryptoKey;
  /** Where it came from, for messages. */
  name: string;
}

/** What vouches for a chart. */
export interface TrustRequirement {
  /** cosign public keys: a signature by any one of them vouches. */
  keys: NamedKey[];
  /** Repositories (`registry/repository`) whose signatures count too: a mirror's source. */
  acceptReferences?: string[];
}

/** What the check found. */
export interface TrustResult {
  /** The key whose signature vouched. */
  key: string;
  /** The signature. */
  signature: VerifiedSignature;
}

/** Reads PKIX public key files into a requirement. */
export async function readKeys(paths: string[]): Promise<NamedKey[]> {
  return await Promise.all(paths.map(async (path) => {
    let pem: string;
    try {
      pem = await Deno.readTextFile(path);
    } catch (error) {
      throw new SignatureError(`cannot read key ${path}: ${(error as Error).message}`);
    }
    return { key: await readPublicKey(pem, path), name: path };
  }));
}

/**
 * Checks that the manifest `desc` in `target` (the repository `repository`, `registry/repository`)
 * is signed as `requirement` asks; throws a one-line `SignatureError` naming `subject` otherwise.
 */
export async function checkTrust(
  target: Target,
  desc: Descriptor,
  repository: string,
  requirement: TrustRequirement,
  subject: string,
): Promise<TrustResult> {
  if (!requirement.keys.length) throw new SignatureError(`${subject}: no key to verify with`);
  const rule = { repository, accept: requirement.acceptReferences };
  const failures: string[] = [];
  for (const { key, name } of requirement.keys) {
    try {
      const signature = await verifyManifestSignature(target, desc.digest, key, rule, subject);
      return { key: name, signature };
    } catch (error) {
      if (!(error instanceof SignatureError) || requirement.keys.length === 1) throw error;
      failures.push(`${name}: ${error.message.slice(subject.length + 2)}`);
    }
  }
  throw new SignatureError(`${subject}: no valid signature by any key (${failures.join("; ")})`);
}
