/** `h3 chart prune`: delete cache blobs no ref needs and temp files of interrupted writes. @module */
import { define } from "gunshi";
import { openCache } from "../core/cache/layout.ts";
import { humanSize } from "../core/ui/size.ts";

export default define({
  name: "prune",
  description: "Delete cached blobs no chart needs and leftovers of interrupted writes",
  examples: "$ h3 chart prune",
  run: async () => {
    const cache = await openCache();
    const { blobs, bytes } = await cache.collect();
    console.log(`Deleted ${blobs} blob${blobs === 1 ? "" : "s"}, reclaimed ${humanSize(bytes)}`);
  },
});
