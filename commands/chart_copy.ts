/**
 * `h3 chart copy SRC DST`: copy charts between registry repositories, OCI layouts (`oci:DIR`) and
 * layout archives (`oci-archive:FILE.tar`), past the cache.
 * @module
 */
import { define } from "./_define.ts";
import { H3Error, PartialFailure } from "../core/errors.ts";
import { describeError, UsageError } from "./_errors.ts";
import type { MirrorSummary, TagCopyResult } from "../core/mirror.ts";
import type { ReferrersCopyResult } from "../core/referrers.ts";
import { progressBars } from "./ui/progress.ts";
import { humanSize } from "../core/size.ts";
import { namesRef, progressEvents } from "./_transfers.ts";
import { reportArgs, reporter } from "./_output.ts";
import { trustArgs, trustRequirement } from "./_trust_flags.ts";
import { requireVerify } from "../core/sign/trust_options.ts";
import {
  debugEnabled,
  openCommandClient,
  transportArgs,
  transportFlags,
} from "./_transport_flags.ts";
import { printError, safeLine } from "./ui/safe_text.ts";

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** `, referrers: 2 copied, 1 up to date` when referrers were carried. */
function referrersNote(carried: ReferrersCopyResult | undefined): string {
  if (!carried) return "";
  return `, referrers: ${carried.copied.length} copied, ${carried.skipped.length} up to date`;
}

/** The line printed when a tag is done (failures go to stderr). */
function resultLine(result: TagCopyResult): string {
  switch (result.status) {
    case "copied": {
      const bytes = result.blobs.reduce((sum, b) => sum + b.size, 0);
      return `${result.copy.destination}: copied ${result.name} ${result.version} ` +
        `(${plural(result.blobs.length, "blob")}, ${humanSize(bytes)})` +
        referrersNote(result.referrers);
    }
    case "skipped":
      return `${result.copy.destination}: up to date (${result.desc.digest})` +
        referrersNote(result.referrers);
    case "tagged":
      return `${result.copy.destination}: tagged (${result.desc.digest}, copied for another tag)`;
    case "not-chart":
      return `${result.copy.source}: skipped, ${result.reason}`;
    case "failed":
      return `Error: ${result.copy.source}: ${safeLine(describeError(result.error))}`;
  }
}

/** `Copied 50 charts (100 blobs, 1.2 MiB), skipped 0` (`, tagged 3` when tags shared a chart). */
function summaryLine(summary: MirrorSummary, referrers: boolean): string {
  const n = summary.notCharts;
  const tagged = summary.tagged ? `tagged ${summary.tagged}, ` : "";
  const notCharts = n ? `, ${n === 1 ? "1 tag not a chart" : `${n} tags not charts`}` : "";
  const carried = referrers
    ? `, referrers: ${summary.referrers.copied} copied, ${summary.referrers.skipped} up to date`
    : "";
  return `Copied ${plural(summary.copied, "chart")} (${plural(summary.blobs, "blob")}, ` +
    `${humanSize(summary.bytes)}), ${tagged}skipped ${summary.skipped}${notCharts}${carried}`;
}

/** A copy as `--output json` prints it: each tag's outcome, then the totals. */
function summaryJson(summary: MirrorSummary) {
  const { results, ...totals } = summary;
  return {
    results: results.map((r) => ({
      source: r.copy.source,
      destination: r.copy.destination,
      status: r.status,
      ...("desc" in r ? { digest: r.desc.digest } : {}),
      ...(r.status === "copied"
        ? { name: r.name, version: r.version, blobs: r.blobs.map((b) => b.digest) }
        : {}),
      ...(r.status === "not-chart" ? { reason: r.reason } : {}),
      ...(r.status === "failed" ? { error: describeError(r.error) } : {}),
    })),
    ...totals,
  };
}

export default define({
  name: "copy",
  description: "Copy charts between registries, OCI layouts and archives, past the cache",
  args: {
    src: {
      type: "positional",
      description:
        "Source: registry/repository[:tag][@digest], oci:DIR[:REF], oci-archive:FILE[:REF]",
    },
    dst: {
      type: "positional",
      description: "Destination: registry/repository[:tag], oci:DIR[:REF], oci-archive:FILE[:REF]",
    },
    "all-tags": {
      type: "boolean",
      description: "Copy every tag of SRC (a whole chart repository)",
    },
    referrers: {
      type: "boolean",
      description: "Carry signatures, SBOMs and attestations (referrers, nested) with each chart",
    },
    verify: {
      type: "boolean",
      description:
        "Copy only charts signed as --key/--keyring ask (the config's trust policy for SRC applies without)",
    },
    ...trustArgs,
    ...transportArgs,
    ...reportArgs,
  },
  examples: [
    "$ h3 chart copy localhost:5000/stable/mychart:2.7.0 registry.internal/mirror/mychart",
    "",
    "# a whole chart repository; what DST has already is skipped",
    "$ h3 chart copy localhost:5000/stable/mychart registry.internal/mirror/mychart --all-tags",
    "",
    "# with each chart's signatures, SBOMs and attestations",
    "$ h3 chart copy localhost:5000/stable/mychart:2.7.0 registry.internal/mirror/mychart --referrers",
    "",
    "# air gap: a whole repository into a tar file (an OCI layout), then into another registry",
    "$ h3 chart copy localhost:5000/stable/mychart oci-archive:mychart.tar --all-tags",
    "$ h3 chart copy oci-archive:mychart.tar registry.internal/mirror/mychart --all-tags",
    "",
    "# one version into an OCI layout directory, under the ref name 2.7.0",
    "$ h3 chart copy localhost:5000/stable/mychart:2.7.0 oci:charts-layout",
  ].join("\n"),
  run: async (ctx) => {
    const { src: srcInput, dst: dstInput } = ctx.values;
    if (!srcInput || !dstInput) throw new UsageError("missing SRC or DST: give both references");
    const out = reporter(ctx.values);
    const allTags = ctx.values["all-tags"] === true;
    const referrers = ctx.values.referrers === true;
    await using h3 = await openCommandClient(transportFlags(ctx.values));
    const trust = requireVerify(ctx.values.verify, await trustRequirement(ctx.values));
    const bars = debugEnabled() ? undefined : progressBars();
    const show = (line: string, error = false) => {
      const write = () => error ? printError(line) : out.print(line);
      return bars ? bars.around(write) : write();
    };
    let summary: MirrorSummary;
    try {
      // An archive DST is written when something in it is new or confirmed, never half-done.
      summary = await h3.copyCharts(srcInput, dstInput, {
        allTags,
        referrers,
        trust,
        onEvent: bars && ((copy, event) => progressEvents(bars, copy.source)?.(event)),
        onResult: (result) => {
          if (!allTags && result.status === "failed") return;
          show(resultLine(result), result.status === "failed");
        },
      });
    } finally {
      bars?.close();
    }
    if (out.json) out.result(summaryJson(summary)); // 10,000 tags: not built unless printed
    const failure = summary.results.find((r) => r.status === "failed");
    if (!allTags && failure?.status === "failed") {
      const { error } = failure;
      if (error instanceof H3Error && !namesRef(error.message, srcInput)) {
        error.message = `${srcInput}: ${error.message}`;
      }
      throw error;
    }
    out.print(summaryLine(summary, referrers));
    if (summary.failed) {
      throw new PartialFailure(
        `${summary.failed} of ${summary.results.length} tags failed to copy`,
      );
    }
  },
});
