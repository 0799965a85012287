/**
 * URL paths of the distribution API, built only from validated parts: a repository name, a tag or
 * a digest that breaks the grammar (say a tag `../../other/manifests/latest` a registry listed) is
 * refused here, before it can reach a URL. Every path h3 sends to a registry comes from here.
 * @module
 */
import { RefError } from "../errors.ts";
import { isDigest, isRepositoryName, isTag } from "../ref.ts";

/** Throws unless `repository` is a valid repository name. */
export function checkRepository(repository: string): string {
  if (!isRepositoryName(repository)) {
    throw new RefError(`invalid repository name ${JSON.stringify(repository)}`);
  }
  return repository;
}

/** Throws unless `reference` is a valid tag or digest. */
export function checkReference(reference: string): string {
  if (!isTag(reference) && !isDigest(reference)) {
    throw new RefError(`invalid tag or digest ${JSON.stringify(reference)}`);
  }
  return reference;
}

/** Throws unless `digest` is a valid digest. */
function checkDigest(digest: string): string {
  if (!isDigest(digest)) throw new RefError(`invalid digest ${JSON.stringify(digest)}`);
  return digest;
}

/** `/v2/<repository>/manifests/<tag or digest>`. */
export function manifestPath(repository: string, reference: string): string {
  return `/v2/${checkRepository(repository)}/manifests/${checkReference(reference)}`;
}

/** `/v2/<repository>/blobs/<digest>`. */
export function blobPath(repository: string, digest: string): string {
  return `/v2/${checkRepository(repository)}/blobs/${checkDigest(digest)}`;
}

/** `/v2/<repository>/blobs/uploads/`. */
export function uploadsPath(repository: string): string {
  return `/v2/${checkRepository(repository)}/blobs/uploads/`;
}

/** `/v2/<repository>/tags/list`. */
export function tagsPath(repository: string): string {
  return `/v2/${checkRepository(repository)}/tags/list`;
}

/** `/v2/<repository>/referrers/<digest>`. */
export function referrersPath(repository: string, digest: string): string {
  return `/v2/${checkRepository(repository)}/referrers/${checkDigest(digest)}`;
}
