/** `h3 chart pull REF...`: pull charts from their registries into the local cache. @module */
import { define } from "gunshi";
import type { Descriptor } from "../core/oci/descriptor.ts";
import { formatReference, refLabel, repositoryName } from "../core/ref.ts";
import { pullChart } from "../core/transport/charts.ts";
import { chartSummary, savingLine, summaryFields } from "./_print.ts";
import { reportArgs, transferEach } from "./_transfers.ts";
import { transportArgs } from "./_transport_flags.ts";

export default define({
  name: "pull",
  description: "Pull charts from a registry into the cache",
  args: {
    refs: {
      type: "positional",
      multiple: true,
      description: "References: registry/repository[:tag][@digest] (no tag: latest)",
    },
    ...transportArgs,
    ...reportArgs,
  },
  examples: [
    "$ h3 chart pull localhost:5000/stable/wordpress:latest",
    "",
    "# pinned to a manifest digest",
    "$ h3 chart pull localhost:5000/stable/wordpress@sha256:<digest>",
    "",
    "# several charts at once",
    "$ h3 chart pull localhost:5000/stable/mysql:1.6.9 localhost:5000/stable/redis:10.5.7",
    "",
    "# quietly, for scripts (errors still go to stderr)",
    "$ h3 chart pull localhost:5000/stable/wordpress:latest --quiet",
  ].join("\n"),
  run: async (ctx) => {
    await transferEach(ctx.values, async ({ ref, repository, cache, print, onEvent }) => {
      print(`${refLabel(ref)}: Pulling from ${repositoryName(ref)}`);
      const result = await pullChart(repository, cache, ref, { onEvent });
      const { config, provenance } = result.parts;
      const role = (d: Descriptor) =>
        d.digest === config.digest
          ? "meta"
          : d.digest === provenance?.digest
          ? "provenance"
          : "content";
      for (const desc of result.copied) print(savingLine(desc, role(desc)));
      print(chartSummary(result.meta, result.parts));
      const fresh = !result.upToDate || result.copied.length > 0;
      const full = formatReference(ref);
      print(
        fresh
          ? `Status: Downloaded newer chart for ${full}`
          : `Status: Chart is up to date for ${full}`,
      );
      return {
        status: fresh ? "downloaded" : "up-to-date",
        ...summaryFields(result),
        saved: result.copied.map((d) => d.digest),
      };
    });
  },
});
