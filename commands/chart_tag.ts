/** `h3 chart tag REF NEWTAG...`: more tags for a chart in its registry, nothing uploaded. @module */
import { define } from "gunshi/definition";
import { tagChart } from "../core/chart/retag.ts";
import { resolveReference } from "../core/chart/versions.ts";
import { UsageError } from "../core/errors.ts";
import { parseReference, repositoryName } from "../core/ref.ts";
import { reportArgs, reporter } from "./_output.ts";
import { debugEnabled, RegistryOpener, transportArgs, transportFlags } from "./_transport_flags.ts";
import { printError } from "./ui/safe_text.ts";

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
    const typed = parseReference(input);
    const flags = transportFlags(ctx.values);
    const debug = debugEnabled() ? (line: string) => printError(line) : undefined;
    using opener = new RegistryOpener(flags, debug);
    const repository = (await opener.open(typed)).expectPush();
    const ref = await resolveReference(typed, repository);
    const out = reporter(ctx.values);
    const result = await tagChart(repository, ref.digest ?? ref.tag!, tags, ref.digest);
    for (const tag of result.tags) {
      out.print(`${repositoryName(ref)}:${tag}: tagged ${result.desc.digest}`);
    }
    out.result({ ref: input, digest: result.desc.digest, tags: result.tags });
  },
});
