/**
 * Exporting a cached chart: resolve the reference, check the manifest is a Helm chart, read and
 * validate its config ("Meta"), and extract its package ("Content") safely into a directory.
 * @module
 */
import { formatReference, parseReference } from "../ref.ts";
import { resolveCachedReference } from "./cached_ref.ts";
import type { Target } from "../target.ts";
import { downloadChart } from "./download.ts";
import type { ExtractOptions } from "./extract.ts";
import type { ChartParts } from "./manifest.ts";
import type { ChartMetadata } from "./metadata.ts";

/** What exporting a chart did. */
export interface ExportResult {
  /** The chart's metadata, from its config blob. */
  meta: ChartMetadata;
  /** Config, content and provenance descriptors. */
  parts: ChartParts;
  /** The chart directory written, e.g. `out/mychart`. */
  path: string;
  /** The cached chart's full reference (an untagged one resolved). */
  ref: string;
}

/**
 * Extracts the chart `refInput` names in `cache` (untagged: as `resolveCachedReference` picks)
 * into `options.destination/<chart name>/`.
 */
export async function exportCachedChart(
  cache: Target,
  refInput: string,
  options: Omit<ExtractOptions, "name">,
): Promise<ExportResult> {
  const ref = formatReference(await resolveCachedReference(parseReference(refInput), cache));
  const { meta, parts, path } = await downloadChart(cache, ref, { ...options, untar: true });
  return { meta, parts, path, ref };
}
