/**
 * The README's library example: save a chart directory into the local cache, push it to the
 * registry the reference names, and list that repository's tags, with h3's library (`mod.ts`).
 *
 * ```
 * $ deno run -A scripts/example.ts ./mychart localhost:5000/myrepo/mychart
 * saved mychart 2.7.0 as localhost:5000/myrepo/mychart:2.7.0
 * pushed sha256:87eac85acc4d4fdc7898ff14f100cce101b1afcff52c898c66a15eaebda08d9f (2 blobs uploaded)
 * tags of localhost:5000/myrepo/mychart: 2.7.0
 * ```
 * @module
 */
import { formatReference, openRepository, push, save } from "../mod.ts";

const [dir, ref] = Deno.args;
if (!dir || !ref) {
  console.error("usage: deno run -A scripts/example.ts CHART_DIR REGISTRY/REPOSITORY[:TAG]");
  Deno.exit(2);
}

const saved = await save(dir, ref);
const target = formatReference(saved.ref);
console.log(`saved ${saved.meta.name} ${saved.meta.version} as ${target}`);

const pushed = await push(target);
console.log(`pushed ${pushed.desc.digest} (${pushed.copied.length} blobs uploaded)`);

using repository = await openRepository(target);
const tags = await Array.fromAsync(repository.tags());
console.log(`tags of ${saved.ref.registry}/${saved.ref.repository}: ${tags.join(", ")}`);
