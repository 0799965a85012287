/** `h3 chart verify [REF...] [--repair]`: check the cache's blobs and refs, and repair it. @module */
import { define } from "./_define.ts";
import { openCache } from "../core/cache/layout.ts";
import { type Problem, repairCache, verifyCache, type VerifyReport } from "../core/cache/verify.ts";
import { CacheError } from "../core/errors.ts";
import { UsageError } from "./_errors.ts";
import { formatReference } from "../core/ref.ts";
import { humanSize } from "../core/size.ts";
import { cachedRefName } from "../core/chart/cached_ref.ts";
import type { TrustRequirement } from "../core/sign/trust.ts";
import { trustArgs, trustJson, trustLine, trustRequirement } from "./_trust_flags.ts";
import {
  openCommandClient,
  transportArgs,
  transportFlags,
  type TransportValues,
} from "./_transport_flags.ts";
import { reportArgs, type Reporter, reporter } from "./_output.ts";

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

function printProblems(out: Reporter, problems: Problem[]): void {
  for (const { subject, message } of problems) out.print(`${subject}: ${message}`);
}

/** Leftovers of interrupted writes: reported, not problems (`h3 chart prune` removes them). */
function printTemps(out: Reporter, report: VerifyReport): void {
  for (const { file, size, removed } of report.staleTemps) {
    const what = removed ? "removed" : '"h3 chart prune" removes it';
    out.print(`${file}: left by an interrupted write (${humanSize(size)}); ${what}`);
  }
}

/** `chart verify REF... --key`: each chart's signature checked in its registry; nothing stored. */
async function verifySignatures(
  inputs: string[],
  trust: TrustRequirement,
  values: TransportValues,
  out: Reporter,
): Promise<void> {
  if (!inputs.length) throw new UsageError("missing REF: give the charts to verify");
  const results: Record<string, unknown>[] = [];
  await using h3 = await openCommandClient(transportFlags(values));
  for (const input of inputs) {
    const result = await h3.verifySignature(input, { trust });
    const { ref, subject } = result;
    const name = `${ref.registry}/${ref.repository}`;
    out.print(`Verified ${formatReference(ref)} (${name}@${subject.digest}): ${trustLine(result)}`);
    results.push({
      ref: formatReference(ref),
      status: "verified",
      digest: subject.digest,
      ...trustJson(result),
    });
  }
  out.result(results);
}

function summary(report: VerifyReport): string {
  return `Verified ${plural(report.refs, "ref")} and ${plural(report.blobs, "blob")}`;
}

/** A check as `--output json` prints it. */
function reportJson(report: VerifyReport) {
  return {
    refs: report.refs,
    blobs: report.blobs,
    problems: report.problems,
    staleTemps: report.staleTemps,
  };
}

export default define({
  name: "verify",
  description: "Check the cache's blobs and refs; with --key, charts' signatures in their registry",
  args: {
    refs: {
      type: "positional",
      multiple: true,
      description: "References of cached charts to check (default: the whole cache)",
    },
    repair: {
      type: "boolean",
      description: "Remove broken refs and corrupt blobs, then delete what no ref needs",
    },
    ...trustArgs,
    ...transportArgs,
    ...reportArgs,
  },
  examples: [
    "# re-hash every blob and check every ref",
    "$ h3 chart verify",
    "",
    "# only some charts",
    "$ h3 chart verify localhost:5000/myrepo/mychart:latest",
    "",
    "# remove what is broken (pull or save those charts again afterwards)",
    "$ h3 chart verify --repair",
    "",
    "# a chart's cosign signature, in its registry (the cache is not involved)",
    "$ h3 chart verify localhost:5000/myrepo/mychart:1.0.0 --key cosign.pub",
    "",
    "# its Helm provenance (.prov layer), as helm verify checks it",
    "$ h3 chart verify localhost:5000/myrepo/mychart:1.0.0 --keyring pubring.gpg",
    "",
    "# the findings for scripts (exit 1 when there are problems)",
    "$ h3 chart verify --output json",
  ].join("\n"),
  run: async (ctx) => {
    const out = reporter(ctx.values);
    const trust = await trustRequirement(ctx.values);
    if (trust) {
      if (ctx.values.repair) throw new UsageError("--repair is for the cache; drop --key");
      return await verifySignatures(ctx.values.refs ?? [], trust, ctx.values, out);
    }
    using cache = await openCache();
    const refs = await Promise.all(
      (ctx.values.refs as string[] | undefined ?? []).map((r) => cachedRefName(r, cache)),
    );
    const only = refs.length ? refs : undefined;
    if (!ctx.values.repair) {
      const report = await verifyCache(cache, only);
      printProblems(out, report.problems);
      printTemps(out, report);
      out.result(reportJson(report));
      const count = report.problems.length;
      if (count) {
        throw new CacheError(
          `${plural(count, "problem")} in the cache at ${cache.dir}; ` +
            `"h3 chart verify --repair" removes what is broken`,
        );
      }
      out.print(`${summary(report)}: no problems`);
      return;
    }
    const result = await repairCache(cache, only);
    printProblems(out, result.before.problems);
    for (const path of result.removedBlobs) out.print(`Removed ${path}`);
    for (const ref of result.removedRefs) out.print(`Removed ${ref}`);
    const { blobs, bytes } = result.collected;
    out.print(`Deleted ${plural(blobs, "blob")}, reclaimed ${humanSize(bytes)}`);
    const after = await verifyCache(cache, only?.filter((r) => !result.removedRefs.includes(r)));
    printProblems(out, after.problems);
    out.result({
      before: reportJson(result.before),
      removedRefs: result.removedRefs,
      removedBlobs: result.removedBlobs,
      deleted: result.collected,
      after: reportJson(after),
    });
    if (after.problems.length) {
      throw new CacheError(`${plural(after.problems.length, "problem")} remain after the repair`);
    }
    out.print(`${summary(after)}: no problems`);
  },
});
