/**
 * The text Helm provenance signs: the chart's metadata as Go's YAML, `...`, then `files:` with the
 * archive's checksum. Kept with the chart rules so saving a chart needs nothing of signing.
 * @module
 */
import { goYaml } from "./go_yaml.ts";

/** The signed text of a `.prov`: metadata YAML, `...`, and the archive's checksum. */
export function provenanceMessage(
  metadata: Record<string, unknown>,
  archiveName: string,
  contentDigest: string,
): string {
  return `${goYaml(metadata)}\n...\n${goYaml({ files: { [archiveName]: contentDigest } })}`;
}

/** The archive name Helm signs: `NAME-VERSION.tgz`. */
export function archiveName(meta: { name: string; version: string }): string {
  return `${meta.name}-${meta.version}.tgz`;
}
