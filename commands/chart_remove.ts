/** `h3 chart remove REF...`: drop refs from the local cache and collect what they alone needed. @module */
import { define } from "./_define.ts";
import { openCache } from "../core/cache/layout.ts";
import { PartialFailure } from "../core/errors.ts";
import { describeError, UsageError } from "./_errors.ts";
import { resolveCachedReference } from "../core/chart/cached_ref.ts";
import { formatReference, parseReference, refLabel } from "../core/ref.ts";
import { reportArgs, reporter } from "./_output.ts";
import { printError, safeLine } from "./ui/safe_text.ts";

export default define({
  name: "remove",
  description: "Remove charts from the local cache",
  args: {
    refs: { type: "positional", multiple: true, description: "References of cached charts" },
    ...reportArgs,
  },
  examples: [
    "$ h3 chart remove localhost:5000/myrepo/mychart:2.7.0",
    "",
    "# no tag: the only cached tag of that repository (or its highest version)",
    "$ h3 chart remove localhost:5000/myrepo/mychart",
  ].join("\n"),
  run: async (ctx) => {
    const refs = ctx.values.refs as string[] | undefined;
    if (!refs?.length) throw new UsageError("missing REF: give at least one chart reference");
    const out = reporter(ctx.values);
    using cache = await openCache();
    const failures: unknown[] = [];
    const results: { ref: string; status: string; error?: string }[] = [];
    for (const input of refs) {
      try {
        const ref = await resolveCachedReference(parseReference(input), cache);
        await cache.untag(formatReference(ref));
        out.print(`${refLabel(ref)}: removed`);
        results.push({ ref: input, status: "removed" });
      } catch (error) {
        results.push({ ref: input, status: "failed", error: describeError(error) });
        if (refs.length === 1) throw error;
        failures.push(error);
        printError(`Error: ${safeLine(describeError(error))}`);
      }
    }
    await cache.collect();
    out.result(results);
    if (failures.length) {
      throw new PartialFailure(`${failures.length} of ${refs.length} refs could not be removed`);
    }
  },
});
