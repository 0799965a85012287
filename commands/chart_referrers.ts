/** `h3 chart referrers REF`: the signatures, SBOMs and attestations of a chart, nested. @module */
import { define } from "gunshi/definition";
import { sanitize } from "../core/chart/metadata.ts";
import { resolveReference } from "../core/chart/versions.ts";
import { UsageError } from "./_errors.ts";
import { formatReference, parseReference } from "../core/ref.ts";
import { listReferrers, type Referrer } from "../core/referrers.ts";
import { outputFormat, printJson } from "./ui/output.ts";
import { humanSize } from "../core/size.ts";
import { outputArg } from "./_output.ts";
import { debugEnabled, RegistryOpener, transportArgs, transportFlags } from "./_transport_flags.ts";
import { print, printError } from "./ui/safe_text.ts";

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
    const flags = transportFlags(ctx.values);
    const debug = debugEnabled() ? (line: string) => printError(line) : undefined;
    using opener = new RegistryOpener(flags, debug);
    const parsed = parseReference(input);
    const repository = await opener.open(parsed);
    const ref = await resolveReference(parsed, repository);
    const desc = await repository.resolve(ref.digest ?? ref.tag!);
    const found = await listReferrers(repository, desc.digest, {
      artifactType: ctx.values["artifact-type"],
    });
    if (format === "json") {
      return printJson({
        subject: formatReference(ref),
        digest: desc.digest,
        referrers: found.map(json),
      });
    }
    print(ref.digest ? formatReference(ref) : `${formatReference(ref)}@${desc.digest}`);
    const out = lines(found, "  ");
    print(out.length ? out.join("\n") : "  (no referrers)");
  },
});
