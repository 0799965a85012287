/** `h3 chart save DIR REF`: package a chart directory into the local cache. @module */
import { define } from "gunshi";
import { openCache } from "../core/cache/layout.ts";
import { saveChart } from "../core/chart/save.ts";
import { UsageError } from "../core/errors.ts";
import { formatReference, refLabel } from "../core/ref.ts";
import { chartSummary, savingLine } from "./_print.ts";
import { reportArgs, reporter } from "./_output.ts";

export default define({
  name: "save",
  description: "Save a chart directory into the local cache",
  args: {
    dir: {
      type: "positional",
      required: false,
      description: "The chart directory (holding Chart.yaml)",
    },
    ref: {
      type: "positional",
      required: false,
      description:
        "Where to save it: registry/repository[:tag] (tag defaults to the chart version)",
    },
    ...reportArgs,
  },
  examples:
    "# save under a tag\n$ h3 chart save mychart/ localhost:5000/myrepo/mychart:latest\n\n" +
    "# tag = the chart's version ('+' becomes '_')\n$ h3 chart save mychart/ localhost:5000/myrepo/mychart\n\n" +
    "# a summary for scripts\n$ h3 chart save mychart/ localhost:5000/myrepo/mychart --output json",
  run: async (ctx) => {
    const { dir, ref } = ctx.values;
    if (dir === undefined) {
      throw new UsageError("missing DIR: give a chart directory and a chart reference");
    }
    if (ref === undefined) {
      throw new UsageError("missing REF: give a chart reference to save the chart as");
    }
    const { print, result: json } = reporter(ctx.values);
    const cache = await openCache();
    const result = await saveChart(cache, dir, ref, {
      onBlob: (desc, what) => print(savingLine(desc, what)),
    });
    print(chartSummary(result.meta, result));
    print(`${refLabel(result.ref)}: saved`);
    json({
      ref: formatReference(result.ref),
      status: "saved",
      name: result.meta.name,
      version: result.meta.version,
      digest: result.manifest.digest,
      meta: result.config.digest,
      content: result.content.digest,
    });
  },
});
