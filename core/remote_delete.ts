/**
 * Deleting a chart's manifest from a registry (`h3 chart delete --remote`): the reference resolved
 * to its digest, the manifest checked to be a Helm chart, then `DELETE /v2/<name>/manifests/<digest>`.
 * A registry that refuses (deletes disabled: 405 UNSUPPORTED) gets an error saying so.
 * @module
 */
import { chartParts } from "./chart/manifest.ts";
import { fetchManifest } from "./copy.ts";
import { RegistryError } from "./errors.ts";
import type { Descriptor } from "./oci/descriptor.ts";
import { isLocated, type Target } from "./target.ts";

/**
 * Deletes the chart manifest `reference` (a tag or digest) resolves to in `repository`; `name`
 * (`registry/repository:tag`) names it in errors. Every tag pointing at that manifest goes too.
 */
export async function deleteRemoteChart(
  repository: Target,
  reference: string,
  name: string,
  expectDigest?: string,
): Promise<Descriptor> {
  const fetched = await fetchManifest(repository, reference, expectDigest);
  chartParts(fetched.manifest);
  // A tag naming an index that holds the chart: the index goes, as the tag named it.
  const desc = fetched.index ?? fetched.desc;
  try {
    await repository.delete(desc);
  } catch (error) {
    if (
      !(error instanceof RegistryError) || (error.status !== 405 && error.code !== "UNSUPPORTED")
    ) {
      throw error;
    }
    const host = isLocated(repository) ? repository.registry : "the registry";
    throw new RegistryError(
      `${host} refused to delete manifest ${desc.digest} of ${name}: deleting is disabled ` +
        `or unsupported there (${error.code ?? "UNSUPPORTED"}, HTTP ${error.status})`,
      error.status,
      error.code,
      { cause: error },
    );
  }
  return desc;
}
