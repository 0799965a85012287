/**
 * Helm 3.8+'s `helm pull oci://...`: a chart from a registry written to a directory as
 * `NAME-VERSION.tgz`, byte for byte the content layer (verified while it streams, then renamed
 * into place), or extracted as `NAME/` with `untar`. The cache is not involved.
 * @module
 */
import { onInterrupt } from "../interrupt.ts";
import { writeStream } from "../stream_file.ts";
import { type CopyEvent, fetchManifest, progress } from "../copy.ts";
import type { Descriptor, Manifest } from "../oci/descriptor.ts";
import { SignatureError } from "../errors.ts";
import type { Target } from "../target.ts";
import { readMeta } from "./transfer.ts";
import { chartDirPath, extractChart } from "./extract.ts";
import { type ChartParts, chartParts } from "./manifest.ts";
import type { ChartMetadata } from "./metadata.ts";

/** Where and how to write the chart. */
export interface DownloadOptions {
  /** The directory to write into (created if missing). */
  destination: string;
  /** Extract the chart as `destination/NAME/` instead of writing the archive. */
  untar?: boolean;
  /** With `untar`: replace an existing `destination/NAME/`. */
  force?: boolean;
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

/** Writes a stream to `path` through a temp file beside it: `path` appears only when complete. */
export async function writeFileAtomic(
  path: string,
  content: ReadableStream<Uint8Array>,
): Promise<void> {
  const dir = path.slice(0, path.lastIndexOf("/") + 1) || ".";
  const tmp = await Deno.makeTempFile({ dir, prefix: ".h3-download-" });
  const forget = onInterrupt(() => Deno.remove(tmp));
  try {
    const file = await Deno.open(tmp, { write: true, truncate: true });
    await writeStream(file, content);
    await Deno.rename(tmp, path);
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    throw error;
  } finally {
    forget();
  }
}

/** Downloads the chart `reference` (a tag or digest) of `repository` into a directory. */
export async function downloadChart(
  repository: Target,
  reference: string,
  options: DownloadOptions,
): Promise<DownloadResult> {
  const { desc, manifest } = await fetchManifest(repository, reference, options.expectDigest);
  await options.verify?.(desc, manifest);
  const parts = chartParts(manifest);
  const meta = await readMeta(repository, parts.config, reference);
  const { destination, onEvent } = options;
  if (options.prov && !parts.provenance) {
    throw new SignatureError(
      `${reference}: no provenance to write (the chart was pushed unsigned)`,
    );
  }
  onEvent?.({ kind: "start", role: "layer", desc: parts.content });
  const content = (await repository.fetch(parts.content))
    .pipeThrough(progress("layer", parts.content, onEvent));
  let path: string;
  if (options.untar) {
    path = await extractChart(content, { name: meta.name, destination, force: options.force });
  } else {
    await Deno.mkdir(destination || ".", { recursive: true });
    path = chartDirPath(destination, `${meta.name}-${meta.version}.tgz`);
    await writeFileAtomic(path, content);
  }
  onEvent?.({ kind: "done", role: "layer", desc: parts.content, mounted: false });
  let provPath: string | undefined;
  if (options.prov && parts.provenance) {
    provPath = chartDirPath(destination, `${meta.name}-${meta.version}.tgz.prov`);
    await writeFileAtomic(provPath, await repository.fetch(parts.provenance));
  }
  return { meta, parts, desc, path, provPath };
}
