/**
 * How a pull's options go together, decided before anything moves: whether it writes files as
 * `helm pull` does or fills the cache, `prov` only with files, `verify` with something to verify
 * with, layouts (`oci:DIR`, `oci-archive:FILE`) apart from registry refs and never verified.
 * @module
 */
import { option, phrase, RefError, SettingError } from "./errors.ts";
import type { TrustRequirement } from "./sign/trust.ts";
import { requireVerify } from "./sign/trust_options.ts";
import { isLayoutLocation } from "./ref.ts";

/** The options of a pull that decide its form. */
export interface PullForm {
  /** A version or range for refs without a tag. */
  version?: string;
  /** The directory files are written to (Helm's form). */
  destination?: string;
  /** Write the chart as a directory (Helm's form). */
  untar?: boolean;
  /** Also write the chart's provenance file (Helm's form only). */
  prov?: boolean;
  /** Refuse the chart unless signed as the trust options ask. */
  verify?: boolean;
}

/**
 * Whether a pull of `refs` writes files as `helm pull` does rather than filling the cache: with
 * `destination` or `untar`, or with `version` and every ref written `oci://...`.
 */
export function writesFiles(refs: string[] | undefined, form: PullForm): boolean {
  if (form.destination !== undefined || form.untar) return true;
  return form.version !== undefined && !!refs?.every((r) => r.startsWith("oci://"));
}

/**
 * Checks that a pull of `refs` with `form` can run, and returns what the charts must be signed
 * with: `requirement()` (read once `prov` is found fine), which needs `verify` and is needed by it.
 */
export async function checkPull(
  refs: string[] | undefined,
  form: PullForm,
  requirement: () => Promise<TrustRequirement | undefined>,
): Promise<TrustRequirement | undefined> {
  const layouts = (refs ?? []).filter(isLayoutLocation);
  if (form.prov && !writesFiles(refs, form) && !layouts.length) {
    throw new SettingError(
      phrase`${option("prov")} writes files: use Helm's form (oci://REF ${
        option("version")
      } X, or ${option("destination")} DIR)`,
      { setting: "prov" },
    );
  }
  const trust = requireVerify(form.verify, await requirement());
  if (layouts.length) {
    if (layouts.length !== refs!.length) {
      throw new RefError("pull layouts (oci:, oci-archive:) and registry refs separately");
    }
    if (trust) {
      throw new SettingError(phrase`${option("verify")} checks a registry's signatures only`, {
        setting: "verify",
      });
    }
  }
  return trust;
}
