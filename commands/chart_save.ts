/** `h3 chart save DIR REF`: package a chart directory into the local cache. @module */
import { define } from "gunshi";
import { openCache } from "../core/cache/layout.ts";
import { saveChart } from "../core/chart/save.ts";
import { refLabel } from "../core/ref.ts";
import { chartSummary, savingLine } from "./_print.ts";

export default define({
  name: "save",
  description: "Save a chart directory into the local cache",
  args: {
    dir: { type: "positional", description: "The chart directory (holding Chart.yaml)" },
    ref: {
      type: "positional",
      description:
        "Where to save it: registry/repository[:tag] (tag defaults to the chart version)",
    },
  },
  examples:
    "# save under a tag\n$ h3 chart save mychart/ localhost:5000/myrepo/mychart:latest\n\n" +
    "# tag = the chart's version ('+' becomes '_')\n$ h3 chart save mychart/ localhost:5000/myrepo/mychart",
  run: async (ctx) => {
    const cache = await openCache();
    const result = await saveChart(cache, ctx.values.dir, ctx.values.ref, {
      onBlob: (desc, what) => console.log(savingLine(desc, what)),
    });
    console.log(chartSummary(result.meta, result));
    console.log(`${refLabel(result.ref)}: saved`);
  },
});
