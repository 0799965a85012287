/**
 * What makes an OCI manifest a Helm chart: a Helm config, one content layer (today's type or Helm
 * 3.0's legacy one) and at most one provenance layer. Everything else is "not a Helm chart".
 * @module
 */
import { ChartError } from "../errors.ts";
import type { Descriptor, Manifest } from "../oci/descriptor.ts";
import { helmConfig, helmContent, helmProvenance, legacyHelmContent } from "../oci/media_types.ts";

/** The parts of a chart manifest. */
export interface ChartParts {
  /** Chart.yaml as JSON (the seed's "Meta"). */
  config: Descriptor;
  /** The packaged chart, a .tgz (the seed's "Content"). */
  content: Descriptor;
  /** The provenance file, when the chart was signed. */
  provenance?: Descriptor;
}

/** Picks a chart's parts out of a manifest, or throws a `ChartError` naming the odd media type. */
export function chartParts(manifest: Manifest): ChartParts {
  if (manifest.config.mediaType !== helmConfig) {
    throw new ChartError(`not a Helm chart: config media type is "${manifest.config.mediaType}"`);
  }
  let content: Descriptor | undefined;
  let provenance: Descriptor | undefined;
  for (const layer of manifest.layers) {
    if (layer.mediaType === helmContent || layer.mediaType === legacyHelmContent) {
      if (content) throw new ChartError("not a Helm chart: more than one content layer");
      content = layer;
    } else if (layer.mediaType === helmProvenance) {
      if (provenance) throw new ChartError("not a Helm chart: more than one provenance layer");
      provenance = layer;
    } else {
      throw new ChartError(`not a Helm chart: unknown layer media type "${layer.mediaType}"`);
    }
  }
  if (!content) throw new ChartError("not a Helm chart: no chart content layer");
  return { config: manifest.config, content, provenance };
}
