/**
 * The OCI 1.1 referrers API of a registry repository: `GET /v2/<name>/referrers/<digest>`, with
 * the `artifactType` filter applied here when the registry did not apply it. A registry without
 * the API (registry:2) answers 404 (or 400/405): that is "no API", not an error.
 * @module
 */
import { RegistryError } from "../errors.ts";
import { type Descriptor, maxManifestSize } from "../oci/descriptor.ts";
import { decodeIndex } from "../oci/index.ts";
import { ociIndex } from "../oci/media_types.ts";
import { type RegistryClient, scope } from "./client.ts";
import { referrersPath } from "./paths.ts";

const digestPattern = /^sha256:[a-f0-9]{64}$/;
/** A referrers list longer than this is refused (h3 follows at most 1000 referrers in all). */
const maxReferrersListed = 1000;

/**
 * The descriptors of the manifests that refer to `subject` (a digest), as the referrers API lists
 * them; undefined when the registry has no referrers API.
 */
export async function fetchReferrers(
  client: RegistryClient,
  repository: string,
  subject: string,
  artifactType?: string,
): Promise<Descriptor[] | undefined> {
  if (!digestPattern.test(subject)) throw new TypeError(`not a digest: ${subject}`);
  const query = artifactType ? `?artifactType=${encodeURIComponent(artifactType)}` : "";
  const { response, bytes } = await client.requestBytes(
    {
      method: "GET",
      url: `${referrersPath(repository, subject)}${query}`,
      headers: { accept: "application/vnd.oci.image.index.v1+json" },
      scopes: [scope(repository, "pull")],
      what: `listing referrers of ${client.registry}/${repository}@${subject}`,
      accept: [400, 404, 405],
    },
    maxManifestSize,
  );
  if (!response.ok) return undefined;
  const type = response.headers.get("content-type")?.split(";")[0].trim();
  // A registry that serves something else here (an HTML page, a catch-all) has no referrers API.
  if (type && type !== "application/vnd.oci.image.index.v1+json") return undefined;
  const manifests = decodeIndex(bytes, ociIndex, maxReferrersListed)?.manifests;
  if (!manifests) {
    throw new RegistryError(`${client.registry}: the referrers API answered no image index`, 0);
  }
  const filtered = /artifactType/.test(response.headers.get("oci-filters-applied") ?? "");
  return artifactType && !filtered
    ? manifests.filter((d) => d.artifactType === artifactType)
    : manifests;
}
