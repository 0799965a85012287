/**
 * `chart tag`: more tags for a chart already in a registry, without uploading it again. The
 * manifest is read once (checked to be a chart, or an index holding one) and its exact bytes are
 * PUT under each new tag, so every tag names the same digest.
 * @module
 */
import { fetchManifestBytes, parseManifest } from "../copy.ts";
import { RefError } from "../errors.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import { isReferencePusher, type Target } from "../target.ts";
import { chartParts } from "./manifest.ts";

/** What `tagChart` did. */
export interface TagResult {
  /** The manifest (or index) the new tags name. */
  desc: Descriptor;
  /** The tags written, in the order given. */
  tags: string[];
}

const tagPattern = /^[\w][\w.-]{0,127}$/;

/**
 * Points each of `tags` in `target` at the manifest `reference` (a tag or digest) names; with
 * `expectDigest` that manifest must have this digest. Tags are checked before anything is written.
 */
export async function tagChart(
  target: Target,
  reference: string,
  tags: string[],
  expectDigest?: string,
): Promise<TagResult> {
  for (const tag of tags) {
    if (!tagPattern.test(tag)) {
      throw new RefError(
        `invalid tag "${tag}" (letters, digits, '_', '.', '-'; at most 128; not starting with '.' or '-')`,
      );
    }
  }
  const { desc, bytes } = await fetchManifestBytes(target, reference, expectDigest);
  // Only charts: read through an index as pull does (the index is what gets the tags).
  chartParts((await parseManifest(target, desc, bytes)).manifest);
  for (const tag of tags) {
    if (isReferencePusher(target)) {
      await target.pushReference(desc, ReadableStream.from([bytes]), tag);
    } else {
      await target.tag(desc, tag);
    }
  }
  return { desc, tags };
}
