/**
 * What a reference to a cached chart names (push, export, remove, verify): a tag or digest given
 * is kept; an untagged one stands for the tag `untaggedTag` (versions.ts) picks among the
 * repository's cached tags. Versions are compared (and versions.ts, with SemVer, loaded) only for
 * an untagged reference.
 * @module
 */
import { CacheError } from "../errors.ts";
import { formatReference, parseReference, type Reference, repositoryName } from "../ref.ts";
import type { TagLister } from "../target.ts";

/**
 * The reference an untagged reference to a cached chart stands for (push, export, remove, verify):
 * the tag `untaggedTag` picks among the repository's cached tags. A tag or digest given is kept.
 * A `CacheError` when the repository has no cached chart, or when the choice is ambiguous (it
 * lists the tags).
 */
export async function resolveCachedReference(ref: Reference, cache: TagLister): Promise<Reference> {
  if (ref.tag || ref.digest) return ref;
  const { untaggedTag } = await import("./versions.ts");
  const prefix = `${repositoryName(ref)}:`;
  const tags: string[] = [];
  for await (const cached of cache.tags()) {
    if (cached.startsWith(prefix) && !cached.includes("@")) tags.push(cached.slice(prefix.length));
  }
  const tag = untaggedTag(tags);
  if (tag) return { ...ref, tag };
  if (tags.length === 0) {
    throw new CacheError(`chart "${repositoryName(ref)}" not found in the cache`);
  }
  throw new CacheError(
    `${repositoryName(ref)}: ${tags.length} charts in the cache and no stable version among ` +
      `them to pick; name the tag: ${tags.toSorted().join(", ")}`,
  );
}

/** The full cache ref (`registry/repository:tag` or `@digest`) that `input` names, as `resolveCachedReference` resolves it. */
export async function cachedRefName(input: string, cache: TagLister): Promise<string> {
  return formatReference(await resolveCachedReference(parseReference(input), cache));
}
