/** The layout's `index.json`: reading it, and replacing it whole under the index lock. @module */
import { CacheError } from "../errors.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import { annotations, ociIndex } from "../oci/media_types.ts";
import { withLock } from "./lock.ts";
import { writeFileAtomic } from "./_files.ts";

/** The parsed index.json of an OCI layout. */
export interface LayoutIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

/** An empty index, as a new layout starts. */
export function emptyIndex(): LayoutIndex {
  return { schemaVersion: 2, mediaType: ociIndex, manifests: [] };
}

/** Reads index.json; a malformed one is a CacheError naming the file (never silently replaced). */
export async function readIndex(dir: string): Promise<LayoutIndex> {
  const path = `${dir}/index.json`;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return emptyIndex();
    throw error;
  }
  try {
    const index = JSON.parse(text) as LayoutIndex;
    if (!Array.isArray(index.manifests)) throw new Error("no manifests array");
    return index;
  } catch (error) {
    throw new CacheError(`${path} is corrupt: ${(error as Error).message}`);
  }
}

/** The reference a descriptor in the index is named by, if any. */
export function refName(desc: Descriptor): string | undefined {
  return desc.annotations?.[annotations.refName];
}

/** Applies `change` to index.json while holding the index lock, and replaces the file whole. */
export async function updateIndex<T>(dir: string, change: (index: LayoutIndex) => T): Promise<T> {
  return await withLock(`${dir}/.index.lock`, async () => {
    const index = await readIndex(dir);
    const result = change(index);
    await writeFileAtomic(dir, `${dir}/index.json`, JSON.stringify(index, null, 2) + "\n");
    return result;
  });
}
