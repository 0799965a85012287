/**
 * A chart from any Target written out as files: Helm 3.8+'s `helm pull oci://...` (from a
 * registry, as `NAME-VERSION.tgz`, byte for byte the content layer, verified while it streams,
 * then renamed into place; or extracted as `NAME/` with `untar`), and `chart export` (from the
 * cache, extracted). The one path by which a chart leaves the Targets for the file system.
 * @module
 */
import { makeDirs, replaceFile } from "../write_file.ts";
import { type CopyEvent, fetchManifest, progress } from "../copy.ts";
import type { Descriptor, Manifest } from "../oci/descriptor.ts";
import { SignatureError } from "../errors.ts";
import { isBytesFetcher, type Target } from "../target.ts";
import { readMeta } from "./transfer.ts";
import { chartDirPath, extractChart, type ExtractOptions } from "./extract.ts";
import { type ChartParts, chartParts } from "./manifest.ts";
import type { ChartMetadata } from "./metadata.ts";

/**
 * Where and how to write the chart: `destination` (created if missing) and, with `untar`, how to
 * extract it (`force` to replace `destination/NAME/`, the size limits).
 */
export interface DownloadOptions extends Omit<ExtractOptions, "name"> {
  /** Extract the chart as `destination/NAME/` instead of writing the archive. */
  untar?: boolean;
  /** A digest pin: the manifest must have this digest. */
  expectDigest?: string;
  /** Events of the content download, for a progress bar. */
  onEvent?: (event: CopyEvent) => void;
  /** Also write the chart's provenance as `NAME-VERSION.tgz.prov` (Helm's `--prov`). */
  prov?: boolean;
  /** Checks the manifest before anything is written (a signature over its digest). */
  verify?: (desc: Descriptor, manifest: Manifest) => Promise<unknown>;
}

/** What a download wrote. */
export interface DownloadResult {
  /** The chart's metadata (from its config blob). */
  meta: ChartMetadata;
  /** Config, content and provenance descriptors. */
  parts: ChartParts;
  /** The manifest's descriptor. */
  desc: Descriptor;
  /** The file (`out/mychart-1.2.3.tgz`) or, with `untar`, the directory (`out/mychart`). */
  path: string;
  /** With `prov`: the provenance file written. */
  provPath?: string;
}

/** Writes the chart `reference` (a tag, a digest, or a cache's full ref) of `repository` out. */
export async function downloadChart(
  repository: Target,
  reference: string,
  options: DownloadOptions,
): Promise<DownloadResult> {
  const { desc, manifest } = await fetchManifest(repository, reference, options.expectDigest);
  await options.verify?.(desc, manifest);
  const parts = chartParts(manifest);
  const { destination, onEvent, force, maxSize, maxFileSize } = options;
  // The package is asked for while the config is read and checked (a request's wait less), and
  // read only once they pass. Extracted, a package the target reads whole (the cache's), in hand
  // and verified, when no progress is asked for: no stream before the decompressor's.
  const whole = options.untar && !onEvent && isBytesFetcher(repository);
  const early = whole ? repository.fetchBytes(parts.content) : repository.fetch(parts.content);
  early.catch(() => {}); // thrown where it is awaited, below
  let meta: ChartMetadata;
  try {
    meta = await readMeta(repository, parts.config, reference);
    if (options.prov && !parts.provenance) {
      throw new SignatureError(
        `${reference}: no provenance to write (the chart was pushed unsigned)`,
      );
    }
  } catch (error) {
    await early.then(
      (read) => read instanceof ReadableStream ? read.cancel() : undefined,
      () => {},
    );
    throw error;
  }
  onEvent?.({ kind: "start", role: "layer", desc: parts.content });
  const read = await early;
  const content = read instanceof Uint8Array
    ? read
    : (read ?? await repository.fetch(parts.content))
      .pipeThrough(progress("layer", parts.content, onEvent));
  let path: string;
  if (options.untar) {
    path = await extractChart(content, {
      name: meta.name,
      destination,
      force,
      maxSize,
      maxFileSize,
    });
  } else {
    const undo = await makeDirs(destination || ".");
    path = chartDirPath(destination, `${meta.name}-${meta.version}.tgz`);
    await replaceFile(path, content).catch(async (error) => {
      await undo();
      throw error;
    });
  }
  onEvent?.({ kind: "done", role: "layer", desc: parts.content, mounted: false });
  let provPath: string | undefined;
  if (options.prov && parts.provenance) {
    provPath = chartDirPath(destination, `${meta.name}-${meta.version}.tgz.prov`);
    await replaceFile(provPath, await repository.fetch(parts.provenance));
  }
  return { meta, parts, desc, path, provPath };
}
