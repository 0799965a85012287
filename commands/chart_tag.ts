/** `h3 chart tag REF NEWTAG...`: more tags for a chart in its registry, nothing uploaded. @module */
import { define } from "./_define.ts";
import { UsageError } from "./_errors.ts";
import { parseReference, repositoryName } from "../core/ref.ts";
import { reportArgs, reporter } from "./_output.ts";
import { openCommandClient, transportArgs, transportFlags } from "./_transport_flags.ts";

export default define({
  name: "tag",
  description: "Add tags to a chart in its registry, without uploading it again",
  args: {
    ref: {
      type: "positional",
      description: "The chart: registry/repository[:tag][@digest] (no tag: the highest version)",
    },
    tags: { type: "positional", multiple: true, description: "The new tags (no registry)" },
    ...transportArgs,
    ...reportArgs,
  },
  examples: [
    "$ h3 chart tag localhost:5000/myrepo/mychart:2.7.0 stable 2.7",
    "",
    "# by digest",
    "$ h3 chart tag localhost:5000/myrepo/mychart@sha256:<digest> production",
  ].join("\n"),
  run: async (ctx) => {
    const input = ctx.values.ref;
    const tags = ctx.values.tags ?? [];
    if (!input || tags.length === 0) {
      throw new UsageError("missing REF or NEWTAG: give a chart reference and at least one tag");
    }
    const ref = parseReference(input);
    await using h3 = await openCommandClient(transportFlags(ctx.values));
    const out = reporter(ctx.values);
    const result = await h3.tag(input, tags);
    for (const tag of result.tags) {
      out.print(`${repositoryName(ref)}:${tag}: tagged ${result.desc.digest}`);
    }
    out.result({ ref: input, digest: result.desc.digest, tags: result.tags });
  },
});
