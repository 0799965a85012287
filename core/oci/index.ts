/**
 * OCI image indexes (and Docker manifest lists) that hold a Helm chart beside other artifacts: the
 * chart manifest is picked by its `artifactType`, else by reading each listed manifest's config
 * media type. At most `maxIndexManifests` entries are looked at.
 * @module
 */
import { ChartError, RegistryError } from "../errors.ts";
import { type Descriptor, isDescriptor } from "./descriptor.ts";
import { dockerManifestList, helmConfig, isManifest, ociIndex } from "./media_types.ts";

/** An image index: a list of manifest descriptors (with optional artifactType and platform). */
export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: (Descriptor & { artifactType?: string })[];
  /** What the index is, when it is an artifact (e.g. an SBOM per platform). */
  artifactType?: string;
  /** Index annotations. */
  annotations?: Record<string, string>;
}

/** Indexes listing more manifests than this are refused rather than searched. */
export const maxIndexManifests = 64;

/**
 * The index `bytes` hold (media type `mediaType` as the registry named it), or undefined when they
 * hold no index. A malformed index, or one listing more than `limit` manifests, is a
 * `RegistryError`.
 */
export function decodeIndex(
  bytes: Uint8Array,
  mediaType?: string,
  limit: number = maxIndexManifests,
): ImageIndex | undefined {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined; // decodeManifest says what is wrong
  }
  if (typeof value !== "object" || value === null) return undefined;
  const m = value as Record<string, unknown>;
  const type = (m.mediaType as string | undefined) ?? mediaType;
  if (type !== ociIndex && type !== dockerManifestList && !Array.isArray(m.manifests)) {
    return undefined;
  }
  if (!Array.isArray(m.manifests) || !m.manifests.every(isDescriptor)) {
    throw new RegistryError("image index has a malformed manifests list", 0, "MANIFEST_INVALID");
  }
  if (m.manifests.length > limit) {
    throw new RegistryError(
      `image index lists ${m.manifests.length} manifests, over the ${limit} looked at`,
      0,
      "MANIFEST_INVALID",
    );
  }
  return m as unknown as ImageIndex;
}

/** Serializes an image index to the exact bytes that are hashed and stored. */
export function encodeIndex(index: ImageIndex): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(index));
}

/**
 * The index entries that may be a chart, most likely first: entries whose `artifactType` is Helm's
 * config type, then the other image manifests (nested indexes are not followed).
 */
export function chartCandidates(index: ImageIndex): Descriptor[] {
  const manifests = index.manifests.filter((d) => isManifest(d.mediaType) && !isIndexType(d));
  const typed = manifests.filter((d) => d.artifactType === helmConfig);
  return typed.length ? typed : manifests;
}

function isIndexType(desc: Descriptor): boolean {
  return desc.mediaType === ociIndex || desc.mediaType === dockerManifestList;
}

/** The error for an index that holds no chart. */
export function noChartInIndex(index: ImageIndex): ChartError {
  const types = index.manifests.map((d) => d.artifactType ?? d.mediaType);
  return new ChartError(
    `not a Helm chart: image index of ${index.manifests.length} manifests, none a chart` +
      (types.length ? ` (${[...new Set(types)].join(", ")})` : ""),
  );
}
