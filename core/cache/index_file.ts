/**
 * A layout's `index.json` read as a file: its shape, reading and parsing it, and the named entries
 * it holds. What a reader that changes nothing needs (`chart list`), apart from the view that
 * keeps the index and replaces it under a lock (`_index.ts`).
 * @module
 */
import { CacheError } from "../errors.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import { annotations, ociIndex } from "../oci/media_types.ts";
import { readTextIfExists } from "../write_file.ts";

/** The parsed index.json of an OCI layout. */
export interface LayoutIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

/** One named entry of the layout's index. */
export interface IndexEntry {
  /** The full reference, e.g. `localhost:5000/myrepo/mychart:latest`. */
  ref: string;
  /** The manifest descriptor, with h3's list annotations when h3 wrote it. */
  desc: Descriptor;
}

/** An empty index, as a new layout starts. */
export function emptyIndex(): LayoutIndex {
  return { schemaVersion: 2, mediaType: ociIndex, manifests: [] };
}

/** Reads index.json; a malformed one is a CacheError naming the file (never silently replaced). */
export async function readIndex(dir: string): Promise<LayoutIndex> {
  const path = `${dir}/index.json`;
  const text = await readTextIfExists(path);
  return text === undefined ? emptyIndex() : parseIndex(path, text);
}

/** Parses the text of index.json read from `path` (named in the CacheError when malformed). */
export function parseIndex(path: string, text: string): LayoutIndex {
  try {
    const index = JSON.parse(text) as LayoutIndex;
    if (!Array.isArray(index.manifests)) throw new Error("no manifests array");
    return index;
  } catch (error) {
    throw new CacheError(`${path} is corrupt: ${(error as Error).message}`);
  }
}

/** The full reference an index entry is named by, if it has one. */
export function refName(desc: Descriptor): string | undefined {
  return desc.annotations?.[annotations.refName];
}

/** The entries of `manifests` that are named, in their order, each with a copy of its descriptor. */
export function namedEntries(manifests: readonly Descriptor[]): IndexEntry[] {
  return manifests.flatMap((desc) => {
    const ref = refName(desc);
    return ref === undefined ? [] : [{ ref, desc: { ...desc } }];
  });
}

/**
 * The named entries of the layout at `dir`, in ref order, read from its index.json as it is now
 * (none when there is none yet). Nothing is created, locked or changed.
 */
export async function readEntries(dir: string): Promise<IndexEntry[]> {
  return namedEntries((await readIndex(dir)).manifests);
}
