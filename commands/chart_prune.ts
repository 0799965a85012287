/** `h3 chart prune`: delete cache blobs no ref needs and temp files of interrupted writes. @module */
import { define } from "./_define.ts";
import { openCache } from "../core/cache/layout.ts";
import { humanSize } from "../core/size.ts";
import { reportArgs, reporter } from "./_output.ts";

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

export default define({
  name: "prune",
  description: "Delete cached blobs no chart needs and leftovers of interrupted writes",
  args: { ...reportArgs },
  examples: "$ h3 chart prune\n\n# what was deleted, for scripts\n$ h3 chart prune --output json",
  run: async (ctx) => {
    const out = reporter(ctx.values);
    using cache = await openCache();
    const { blobs, temps, bytes } = await cache.collect();
    const files = temps ? ` and ${plural(temps, "temp file")}` : "";
    out.print(`Deleted ${plural(blobs, "blob")}${files}, reclaimed ${humanSize(bytes)}`);
    out.result({ blobs, temps, bytes });
  },
});
