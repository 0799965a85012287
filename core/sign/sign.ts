/**
 * Signing a chart with a cosign key, in either of cosign's forms: the classic `sha256-<hex>.sig`
 * tag, or a Sigstore bundle referrer. The one operation the CLI, plugins and `mod.ts` share.
 * @module
 */
import { fileProblem, SignatureError } from "../errors.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import type { Target } from "../target.ts";
import { type BundleSignResult, signBundle } from "./bundle.ts";
import { signManifest, type SignResult } from "./cosign.ts";
import { type PasswordSource, readPrivateKey, type SigningKey } from "./keys.ts";

/** What signing a chart did: a `.sig` layer, or a Sigstore bundle referrer. */
export type ChartSignResult = SignResult | BundleSignResult;

/** Reads a cosign private key file; `password` is asked only when the key is encrypted. */
export async function readSigningKey(path: string, password: PasswordSource): Promise<SigningKey> {
  let pem: string;
  try {
    pem = await Deno.readTextFile(path);
  } catch (error) {
    throw new SignatureError(`cannot read key ${path}: ${fileProblem(error)}`);
  }
  return await readPrivateKey(pem, path, password);
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
  options: { bundle?: boolean } = {},
): Promise<ChartSignResult> {
  return options.bundle
    ? await signBundle(target, subject, key)
    : await signManifest(target, subject, repository, key);
}
