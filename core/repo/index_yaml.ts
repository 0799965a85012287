/**
 * The index.yaml `repo import --index` writes for clients that still read one, apart from the
 * import's code (a library script that imports mod.ts loads this, not the import); yaml is
 * imported when it runs, so a script that never writes an index never loads it.
 * @module
 */
import type { ImportSummary } from "./import.ts";

/**
 * index.yaml text for clients that still read one: every imported (or present) version, its
 * index fields kept, its urls `oci://NAMESPACE/<name>:<tag>`.
 */
export async function ociIndexYaml(
  summary: ImportSummary,
  generated: Date = new Date(),
): Promise<string> {
  const { stringify } = await import("yaml");
  const entries: Record<string, Record<string, unknown>[]> = {};
  for (const result of summary.results) {
    if (result.status === "failed") continue;
    const { entry } = result;
    (entries[entry.name] ??= []).push({ ...entry.raw, urls: [`oci://${result.ref}`] });
  }
  return stringify({ apiVersion: "v1", entries, generated: generated.toISOString() });
}
