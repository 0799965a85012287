/** Output lines several chart commands share, in the seed's exact shape. @module */
import type { ChartParts } from "../core/chart/manifest.ts";
import { shortDigest } from "../core/oci/descriptor.ts";
import type { Descriptor } from "../core/oci/descriptor.ts";
import { humanSize } from "../core/size.ts";

/** `Name:`, `Version:`, `Meta:`, `Content:` lines for a chart. */
export function chartSummary(meta: { name: string; version: string }, parts: ChartParts): string {
  return [
    `Name: ${meta.name}`,
    `Version: ${meta.version}`,
    `Meta: ${parts.config.digest}`,
    `Content: ${parts.content.digest}`,
  ].join("\n");
}

/** The chart fields of a push or pull as `--output json` reports them. */
export function summaryFields(
  result: { desc: Descriptor; meta: { name: string; version: string }; parts: ChartParts },
): Record<string, string> {
  return {
    name: result.meta.name,
    version: result.meta.version,
    digest: result.desc.digest,
    meta: result.parts.config.digest,
    content: result.parts.content.digest,
  };
}

/** `3344059: Saving meta (216 B)` for a config blob, `... Saving content (...)` for a layer. */
export function savingLine(desc: Descriptor, what: "meta" | "content" | "provenance"): string {
  return `${shortDigest(desc.digest)}: Saving ${what} (${humanSize(desc.size)})`;
}
