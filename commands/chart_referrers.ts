/** `h3 chart referrers REF`: the signatures, SBOMs and attestations of a chart, nested. @module */
import { define } from "./_define.ts";
import { sanitize } from "../core/chart/metadata.ts";
import { UsageError } from "./_errors.ts";
import { formatReference } from "../core/ref.ts";
import type { Referrer } from "../core/referrers.ts";
import { outputFormat, printJson } from "./ui/output.ts";
import { humanSize } from "../core/size.ts";
import { outputArg } from "./_output.ts";
import { openCommandClient, transportArgs, transportFlags } from "./_transport_flags.ts";
import { print } from "./ui/safe_text.ts";

/** A referrer as `--output json` prints it. */
function json(r: Referrer): unknown {
  return {
    artifactType: r.desc.artifactType ?? null,
    mediaType: r.desc.mediaType,
    digest: r.desc.digest,
    size: r.desc.size,
    annotations: r.desc.annotations ?? {},
    ...(r.tag ? { tag: r.tag } : {}),
    via: r.via,
    referrers: r.referrers.map(json),
  };
}

/** Text lines for a tree of referrers, two spaces deeper per level, annotations under each. */
function lines(referrers: Referrer[], indent: string): string[] {
  return referrers.flatMap((r) => [
    `${indent}${sanitize(r.desc.artifactType ?? r.desc.mediaType)}  ${r.desc.digest}  ` +
    `${humanSize(r.desc.size)}${r.tag ? `  (tag ${r.tag})` : ""}`,
    ...Object.entries(r.desc.annotations ?? {}).map(([key, value]) =>
      `${indent}    ${sanitize(key)}: ${sanitize(value)}`
    ),
    ...lines(r.referrers, indent + "  "),
  ]);
}

export default define({
  name: "referrers",
  description: "List the signatures, SBOMs and attestations that refer to a chart",
  args: {
    ref: {
      type: "positional",
      description: "Chart: registry/repository[:tag][@digest] (no tag: the highest version)",
    },
    "artifact-type": { type: "string", description: "Only referrers of this artifact type" },
    output: outputArg(["text", "json"]),
    ...transportArgs,
  },
  examples: [
    "$ h3 chart referrers localhost:5000/stable/mychart:2.7.0",
    "",
    "# only cosign signatures, as JSON",
    "$ h3 chart referrers localhost:5000/stable/mychart:2.7.0 -o json \\",
    "    --artifact-type application/vnd.dev.cosign.simplesigning.v1+json",
  ].join("\n"),
  run: async (ctx) => {
    const input = ctx.values.ref;
    if (!input) throw new UsageError("missing REF: give a chart reference");
    const format = outputFormat(ctx.values.output, ["text", "json"]);
    await using h3 = await openCommandClient(transportFlags(ctx.values));
    const { ref, subject, referrers } = await h3.referrers(input, {
      artifactType: ctx.values["artifact-type"],
    });
    if (format === "json") {
      return printJson({
        subject: formatReference(ref),
        digest: subject.digest,
        referrers: referrers.map(json),
      });
    }
    print(ref.digest ? formatReference(ref) : `${formatReference(ref)}@${subject.digest}`);
    const out = lines(referrers, "  ");
    print(out.length ? out.join("\n") : "  (no referrers)");
  },
});
