/**
 * Registry-to-registry copy of charts, one tag or a whole repository: each tag checked as a chart
 * and copied with `copy` (blobs the destination has are skipped; same-registry blobs mounted),
 * a tag already pointing at the same manifest skipped without reading it, tags `concurrency` at
 * a time. The local cache is never involved.
 * @module
 */
import pLimit from "p-limit";
import type { CopyEvent } from "./copy.ts";
import { notAChart } from "./chart/tags.ts";
import type { Descriptor } from "./oci/descriptor.ts";
import {
  copyReferrers,
  listReferrers,
  type ReferrersCopyResult,
  resolveIfPresent,
} from "./referrers.ts";
import type { Target } from "./target.ts";
import { transfer } from "./chart/transfer.ts";

/** One tag to copy: from `source` in the source to `destination` in the destination. */
export interface TagCopy {
  /** A tag or digest in the source. */
  source: string;
  /** The tag (or digest) to write in the destination. */
  destination: string;
  /** A digest pin: the source manifest must have this digest. */
  expectDigest?: string;
}

/** What happened to one tag. */
export type TagCopyResult =
  | {
    status: "copied";
    copy: TagCopy;
    desc: Descriptor;
    name: string;
    version: string;
    /** Blobs transferred or mounted. */
    blobs: Descriptor[];
    /** With `referrers`: what was carried along. */
    referrers?: ReferrersCopyResult;
  }
  | { status: "skipped"; copy: TagCopy; desc: Descriptor; referrers?: ReferrersCopyResult }
  | { status: "not-chart"; copy: TagCopy; reason: string }
  | { status: "failed"; copy: TagCopy; error: unknown };

/** How a copy runs. */
export interface MirrorOptions {
  /** Tags copied at once (default 4). */
  concurrency?: number;
  /** Carry each chart's referrers (signatures, SBOMs, attestations), nested, with it. */
  referrers?: boolean;
  /** Leave out (`not-chart`) manifests that are not Helm charts instead of failing on them. */
  skipNonCharts?: boolean;
  /** Blob events of one tag, for progress bars. */
  onEvent?: (copy: TagCopy, event: CopyEvent) => void;
  /** Called as each tag is done. */
  onResult?: (result: TagCopyResult) => void;
}

/** Totals of a copy. */
export interface MirrorSummary {
  /** What happened to each tag, in the order given. */
  results: TagCopyResult[];
  /** Tags copied. */
  copied: number;
  /** Tags the destination had already. */
  skipped: number;
  /** Tags left out as not Helm charts. */
  notCharts: number;
  /** Tags that failed. */
  failed: number;
  /** Blobs transferred or mounted (for charts and referrers), and their bytes. */
  blobs: number;
  /** The bytes of those blobs. */
  bytes: number;
  /** With `referrers`: referrers copied, and those the destination had. */
  referrers: { copied: number; skipped: number };
}

/** How one tag is copied. */
export interface TagCopyOptions {
  /** Blob events, for progress. */
  onEvent?: (event: CopyEvent) => void;
  /** Carry the chart's referrers too. */
  referrers?: boolean;
}

/** Copies one tag's chart from `src` to `dst`; throws on failure (a non-chart is a ChartError). */
export async function copyTag(
  src: Target,
  dst: Target,
  copy: TagCopy,
  options: TagCopyOptions = {},
): Promise<TagCopyResult> {
  const { onEvent } = options;
  const [from, to] = await Promise.all([
    src.resolve(copy.source),
    resolveIfPresent(dst, copy.destination),
  ]);
  const carry = async (desc: Descriptor) => {
    if (!options.referrers) return undefined;
    const found = await listReferrers(src, desc.digest);
    return await copyReferrers(src, dst, desc.digest, found, { onEvent });
  };
  const pinned = !copy.expectDigest || copy.expectDigest === from.digest;
  if (pinned && to?.digest === from.digest) {
    return { status: "skipped", copy, desc: from, referrers: await carry(from) };
  }
  const result = await transfer(src, copy.source, dst, copy.destination, copy.source, {
    onEvent,
    expectDigest: copy.expectDigest,
  });
  return {
    status: "copied",
    copy,
    desc: result.desc,
    name: result.meta.name,
    version: result.meta.version,
    blobs: result.copied,
    referrers: await carry(result.desc),
  };
}

/** Copies each of `copies` from `src` to `dst`, failures recorded rather than thrown. */
export async function mirror(
  src: Target,
  dst: Target,
  copies: TagCopy[],
  options: MirrorOptions = {},
): Promise<MirrorSummary> {
  const limit = pLimit(options.concurrency ?? 4);
  const results = await Promise.all(copies.map((copy) =>
    limit(async (): Promise<TagCopyResult> => {
      const onEvent = options.onEvent && ((event: CopyEvent) => options.onEvent!(copy, event));
      const result = await copyTag(src, dst, copy, { onEvent, referrers: options.referrers })
        .catch((error): TagCopyResult =>
          options.skipNonCharts && notAChart(error)
            ? { status: "not-chart", copy, reason: error.message }
            : { status: "failed", copy, error }
        );
      options.onResult?.(result);
      return result;
    })
  ));
  const count = (status: TagCopyResult["status"]) =>
    results.filter((r) => r.status === status).length;
  const carried = results.flatMap((r) =>
    (r.status === "copied" || r.status === "skipped") && r.referrers ? [r.referrers] : []
  );
  const blobs = [
    ...results.flatMap((r) => r.status === "copied" ? r.blobs : []),
    ...carried.flatMap((c) => c.blobs),
  ];
  return {
    results,
    copied: count("copied"),
    skipped: count("skipped"),
    notCharts: count("not-chart"),
    failed: count("failed"),
    blobs: blobs.length,
    bytes: blobs.reduce((sum, b) => sum + b.size, 0),
    referrers: {
      copied: carried.reduce((n, c) => n + c.copied.length, 0),
      skipped: carried.reduce((n, c) => n + c.skipped.length, 0),
    },
  };
}
