/** `h3 chart push REF...`: push cached charts to their registries. @module */
import { define } from "gunshi";
import { refLabel, repositoryName } from "../core/ref.ts";
import { pushChart } from "../core/transport/charts.ts";
import { humanSize } from "../core/ui/size.ts";
import { chartSummary, summaryFields } from "./_print.ts";
import { reportArgs, transferEach } from "./_transfers.ts";
import { transportArgs } from "./_transport_flags.ts";

export default define({
  name: "push",
  description: "Push cached charts to their registry",
  args: {
    refs: { type: "positional", multiple: true, description: "References of cached charts" },
    ...transportArgs,
    ...reportArgs,
  },
  examples: [
    "$ h3 chart push localhost:5000/myrepo/mychart:latest",
    "",
    "# several charts, 4 at a time",
    "$ h3 chart push localhost:5000/myrepo/a:1.0.0 localhost:5000/myrepo/b:2.1.0 --concurrency 4",
    "",
    "# a registry with a private CA",
    "$ h3 chart push charts.internal/team/mychart:1.0.0 --ca-file ca.pem",
    "",
    "# a summary for scripts",
    "$ h3 chart push localhost:5000/myrepo/mychart:latest --output json",
  ].join("\n"),
  run: async (ctx) => {
    await transferEach(ctx.values, async ({ ref, repository, cache, print, onEvent }) => {
      print(`The push refers to repository [${repositoryName(ref)}]`);
      const result = await pushChart(cache, repository.expectPush(), ref, { onEvent });
      const { config, content, provenance } = result.parts;
      const blobs = provenance ? [config, content, provenance] : [config, content];
      const total = blobs.reduce((sum, d) => sum + d.size, 0);
      print(chartSummary(result.meta, result.parts));
      print(
        `${refLabel(ref)}: pushed to remote (${blobs.length} layers, ${humanSize(total)} total)`,
      );
      return { status: "pushed", ...summaryFields(result), layers: blobs.length, size: total };
    });
  },
});
