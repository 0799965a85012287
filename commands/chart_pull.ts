/** `h3 chart pull REF...`: pull charts from their registries into the local cache. @module */
import { define } from "./_define.ts";
import { checkPull, writesFiles } from "../core/pull_form.ts";
import type { Descriptor } from "../core/oci/descriptor.ts";
import type { ChartPullOptions } from "../core/h3.ts";
import { formatReference, isLayoutLocation, refLabel, repositoryName } from "../core/ref.ts";
import { chartSummary, savingLine, summaryFields } from "./_print.ts";
import { type RefOutcome, reportArgs, transferEach } from "./_transfers.ts";
import { transportArgs } from "./_transport_flags.ts";
import { trustArgs, trustRequirement } from "./_trust_flags.ts";

export default define({
  name: "pull",
  description: "Pull charts from a registry into the cache",
  args: {
    refs: {
      type: "positional",
      multiple: true,
      description:
        "References: registry/repository[:tag][@digest] (no tag: the highest stable version), or oci:DIR[:REF], oci-archive:FILE[:REF]",
    },
    version: {
      type: "string",
      description: "A SemVer version or range for refs without a tag (e.g. ^1.2.0)",
    },
    devel: { type: "boolean", description: "Let a range (or no tag) select pre-releases too" },
    destination: {
      type: "string",
      short: "d",
      description: "Write NAME-VERSION.tgz into this directory instead of the cache (Helm's form)",
    },
    untar: {
      type: "boolean",
      description: "Write the chart as a directory DIR/NAME/ (Helm's form)",
    },
    force: { type: "boolean", description: "With --untar: replace an existing DIR/NAME/" },
    prov: {
      type: "boolean",
      description: "Helm's form: also write NAME-VERSION.tgz.prov (the chart's provenance)",
    },
    verify: {
      type: "boolean",
      description:
        "Refuse the chart unless signed as --key/--keyring ask (the config's trust policy applies without)",
    },
    ...trustArgs,
    ...transportArgs,
    ...reportArgs,
  },
  examples: [
    "$ h3 chart pull localhost:5000/stable/wordpress:latest",
    "",
    "# pinned to a manifest digest",
    "$ h3 chart pull localhost:5000/stable/wordpress@sha256:<digest>",
    "",
    "# the highest 1.x version (tags spell '+' as '_'); --devel admits pre-releases",
    "$ h3 chart pull localhost:5000/stable/wordpress --version '^1.2.0'",
    "",
    "# Helm 3.8+'s form: writes ./wordpress-5.1.2.tgz, not the cache",
    "$ h3 chart pull oci://localhost:5000/stable/wordpress --version 5.1.2",
    "$ h3 chart pull oci://localhost:5000/stable/wordpress --version 5.1.2 --untar -d charts",
    "",
    "# several charts at once",
    "$ h3 chart pull localhost:5000/stable/mysql:1.6.9 localhost:5000/stable/redis:10.5.7",
    "",
    "# only when signed with this cosign key (over the exact digest pulled)",
    "$ h3 chart pull localhost:5000/stable/wordpress:5.1.2 --verify --key cosign.pub",
    "",
    "# air gap: from an OCI layout or layout archive, written as ./mychart-2.7.0.tgz",
    "$ h3 chart pull oci-archive:bundle.tar:2.7.0",
    "$ h3 chart pull oci:charts-layout --version '^2.0.0' --untar -d charts",
    "",
    "# quietly, for scripts (errors still go to stderr)",
    "$ h3 chart pull localhost:5000/stable/wordpress:latest --quiet",
  ].join("\n"),
  run: async (ctx) => {
    const { version, devel, destination, untar, force, prov, verify } = ctx.values;
    const refs = ctx.values.refs;
    const trust = await checkPull(refs, ctx.values, () => trustRequirement(ctx.values));
    if (refs?.some(isLayoutLocation)) return await pullLayouts(ctx.values);
    // Helm's form is decided for all refs at once: with --version, only when each is oci://.
    const toFiles = writesFiles(refs, ctx.values);
    await transferEach(ctx.values, async ({ input, h3, print, onEvent, queued, waiting }) => {
      const result = await h3.pull(toFiles ? input : input.replace(/^oci:\/\//, ""), {
        version,
        devel,
        destination: toFiles ? destination ?? "." : undefined,
        untar,
        force,
        prov,
        verify,
        trust,
        onEvent,
        onQueued: queued,
        onWaiting: waiting,
        onStart: toFiles
          ? undefined
          : (ref) => print(`${refLabel(ref)}: Pulling from ${repositoryName(ref)}`),
      });
      const { ref, path } = result;
      if (path !== undefined) {
        print(`Pulled: ${formatReference(ref)}`);
        return written(print, result, path, untar);
      }
      const { config, provenance } = result.parts;
      const role = (d: Descriptor) =>
        d.digest === config.digest
          ? "meta"
          : d.digest === provenance?.digest
          ? "provenance"
          : "content";
      for (const desc of result.copied) print(savingLine(desc, role(desc)));
      print(chartSummary(result.meta, result.parts));
      const fresh = !result.upToDate || result.copied.length > 0;
      const full = formatReference(ref);
      print(
        fresh
          ? `Status: Downloaded newer chart for ${full}`
          : `Status: Chart is up to date for ${full}`,
      );
      return {
        status: fresh ? "downloaded" : "up-to-date",
        ...summaryFields(result),
        saved: result.copied.map((d) => d.digest),
      };
    });
  },
});

/** Prints what Helm's form of pull wrote (after its `Pulled:` line) and returns its outcome. */
function written(
  print: (line: string) => void,
  result: Parameters<typeof summaryFields>[0] & { provPath?: string },
  path: string,
  untar: boolean | undefined,
): RefOutcome {
  print(`Digest: ${result.desc.digest}`);
  print(`${untar ? "Extracted" : "Saved"}: ${path}${untar ? "/" : ""}`);
  if (result.provPath) print(`Saved: ${result.provPath}`);
  return { status: untar ? "extracted" : "saved", ...summaryFields(result), path };
}

/**
 * `pull oci:DIR[:REF]...` / `oci-archive:FILE[:REF]...`: Helm's form (a layout has no registry
 * name to file the chart under in the cache), the layout only read.
 */
async function pullLayouts(
  values:
    & Parameters<typeof transferEach>[0]
    & Pick<ChartPullOptions, "version" | "devel" | "destination" | "untar" | "force" | "prov">,
) {
  const { version, devel, destination, untar, force, prov } = values;
  await transferEach(values, async ({ input, h3, print, onEvent }) => {
    const result = await h3.pullFromLayout(input, {
      version,
      devel,
      destination,
      untar,
      force,
      prov,
      onEvent,
    });
    print(`Pulled: ${result.layout}:${result.reference}`);
    return written(print, result, result.path, untar);
  });
}
