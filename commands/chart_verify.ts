/** `h3 chart verify [REF...] [--repair]`: check the cache's blobs and refs, and repair it. @module */
import { define } from "gunshi";
import { openCache } from "../core/cache/layout.ts";
import { type Problem, repairCache, verifyCache, type VerifyReport } from "../core/cache/verify.ts";
import { CacheError } from "../core/errors.ts";
import { formatReference, parseCachedReference } from "../core/ref.ts";
import { humanSize } from "../core/ui/size.ts";

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

function printProblems(problems: Problem[]): void {
  for (const { subject, message } of problems) console.log(`${subject}: ${message}`);
}

function summary(report: VerifyReport): string {
  return `Verified ${plural(report.refs, "ref")} and ${plural(report.blobs, "blob")}`;
}

export default define({
  name: "verify",
  description: "Check the cache's blobs and refs; --repair removes what is broken",
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
  ].join("\n"),
  run: async (ctx) => {
    const refs = (ctx.values.refs as string[] | undefined)?.map((r) =>
      formatReference(parseCachedReference(r))
    );
    const only = refs?.length ? refs : undefined;
    const cache = await openCache();
    if (!ctx.values.repair) {
      const report = await verifyCache(cache, only);
      printProblems(report.problems);
      const count = report.problems.length;
      if (count) {
        throw new CacheError(
          `${plural(count, "problem")} in the cache at ${cache.dir}; ` +
            `"h3 chart verify --repair" removes what is broken`,
        );
      }
      console.log(`${summary(report)}: no problems`);
      return;
    }
    const result = await repairCache(cache, only);
    printProblems(result.before.problems);
    for (const path of result.removedBlobs) console.log(`Removed ${path}`);
    for (const ref of result.removedRefs) console.log(`Removed ${ref}`);
    const { blobs, bytes } = result.collected;
    console.log(`Deleted ${plural(blobs, "blob")}, reclaimed ${humanSize(bytes)}`);
    const after = await verifyCache(cache, only?.filter((r) => !result.removedRefs.includes(r)));
    printProblems(after.problems);
    if (after.problems.length) {
      throw new CacheError(`${plural(after.problems.length, "problem")} remain after the repair`);
    }
    console.log(`${summary(after)}: no problems`);
  },
});
