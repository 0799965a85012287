/**
 * Chart push and pull: `copy` between the local cache and a registry repository, refusing
 * anything that is not a Helm chart (media types, then the config's metadata) before a blob moves.
 * @module
 */
import { decodeConfig, maxConfigSize } from "./config.ts";
import { type ChartParts, chartParts } from "./manifest.ts";
import type { ChartMetadata } from "./metadata.ts";
import { copy, type CopyEvent, type CopyOptions } from "../copy.ts";
import { readSmall } from "../digest.ts";
import type { Descriptor, Manifest } from "../oci/descriptor.ts";
import { formatReference, type Reference } from "../ref.ts";
import type { Target } from "../target.ts";

/** How a chart transfer runs. */
export interface ChartTransferOptions {
  /** Blobs transferred at once. */
  concurrency?: number;
  /** Each blob's events, for progress bars. */
  onEvent?: (event: CopyEvent) => void;
  /**
   * Checks the source's manifest before any blob moves (a signature over its digest); throw to
   * refuse the chart, and nothing is stored.
   */
  verify?: (desc: Descriptor, manifest: Manifest) => Promise<unknown>;
  /** Hears when all that is left is waiting for the tag's batched write (see `CopyOptions`). */
  onQueued?: CopyOptions["onQueued"];
  /** Hears when the copy waits for another copy of the same chart (see `CopyOptions`). */
  onWaiting?: CopyOptions["onWaiting"];
}

/** What a chart push or pull did. */
export interface ChartTransfer {
  /** The chart's metadata (from its config blob). */
  meta: ChartMetadata;
  /** Config, content and provenance descriptors. */
  parts: ChartParts;
  /** The manifest's descriptor. */
  desc: Descriptor;
  /** Blobs transferred (or mounted), in manifest order: config first. */
  copied: Descriptor[];
  /** True when the destination's reference already pointed at this manifest. */
  upToDate: boolean;
}

/**
 * Reads and validates a chart's config blob from `target`; `source` names the chart in errors.
 * With `read`, the bytes are kept there by digest (for `copy` to send without fetching again).
 */
export async function readMeta(
  target: Target,
  config: Descriptor,
  source: string,
  read?: Map<string, Uint8Array>,
): Promise<ChartMetadata> {
  const bytes = await readSmall(target, config, maxConfigSize);
  read?.set(config.digest, bytes);
  return decodeConfig(bytes, `${source}: config ${config.digest}`);
}

/**
 * Copies a chart checking it first: Helm media types and valid metadata, or nothing moves;
 * `source` names the chart in errors, `expectDigest` pins the manifest.
 */
export async function transfer(
  src: Target,
  srcRef: string,
  dst: Target,
  dstRef: string,
  source: string,
  options: ChartTransferOptions & Pick<CopyOptions, "expectDigest" | "manifest"> & {
    /** `dst` is local (the cache): a config it holds already is read there, not from `src`. */
    localDst?: boolean;
  },
): Promise<ChartTransfer> {
  let parts: ChartParts | undefined;
  let meta: ChartMetadata | undefined;
  const fetched = new Map<string, Uint8Array>();
  const result = await copy(src, srcRef, dst, dstRef, {
    ...options,
    fetched,
    validate: async (manifest, desc) => {
      await options.verify?.(desc, manifest);
      parts = chartParts(manifest);
      const local = options.localDst && await dst.exists(parts.config);
      meta = await readMeta(local ? dst : src, parts.config, source, fetched);
    },
  });
  const order = [result.manifest.config, ...result.manifest.layers].map((d) => d.digest);
  const copied = result.copied.toSorted((a, b) =>
    order.indexOf(a.digest) - order.indexOf(b.digest)
  );
  return { meta: meta!, parts: parts!, desc: result.desc, copied, upToDate: result.upToDate };
}

/** Pushes the cached chart `ref` (full reference with tag or digest) to `repository`. */
export function pushChart(
  cache: Target,
  repository: Target,
  ref: Reference,
  options: ChartTransferOptions = {},
): Promise<ChartTransfer> {
  const full = formatReference(ref);
  return transfer(cache, full, repository, ref.digest ?? ref.tag ?? "latest", full, options);
}

/**
 * Pulls chart `ref` from `repository` into the cache under its full reference; a digest in `ref`
 * pins the manifest (with a tag too, the tag must point at that digest).
 */
export function pullChart(
  repository: Target,
  cache: Target,
  ref: Reference,
  options: ChartTransferOptions = {},
): Promise<ChartTransfer> {
  const full = formatReference(ref);
  return transfer(repository, ref.tag ?? ref.digest ?? "latest", cache, full, full, {
    ...options,
    expectDigest: ref.digest,
    localDst: true,
  });
}
