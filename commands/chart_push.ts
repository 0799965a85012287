/** `h3 chart push REF...`: push cached charts to their registries. @module */
import { define } from "./_define.ts";
import { isChartArchivePath } from "../core/chart/archive_path.ts";
import { UsageError } from "./_errors.ts";
import {
  formatReference,
  isLayoutLocation,
  parseReference,
  refLabel,
  repositoryName,
} from "../core/ref.ts";
import type { ChartTransfer } from "../core/chart/transfer.ts";
import { humanSize } from "../core/size.ts";
import { chartSummary, summaryFields } from "./_print.ts";
import { type RefOutcome, reportArgs, transferEach } from "./_transfers.ts";
import { transportArgs } from "./_transport_flags.ts";

/**
 * Prints what a push did, in the seed's lines, and returns its JSON outcome: `pushed`, or
 * `exists` when the registry (or the layout `where` names) had the chart under that tag already
 * and nothing was sent.
 */
function report(
  print: (line: string) => void,
  label: string,
  result: ChartTransfer,
  where = "remote",
): RefOutcome {
  const { config, content, provenance } = result.parts;
  const blobs = provenance ? [config, content, provenance] : [config, content];
  const total = blobs.reduce((sum, d) => sum + d.size, 0);
  const exists = result.upToDate && result.copied.length === 0;
  print(chartSummary(result.meta, result.parts));
  print(
    exists
      ? `${label}: already ${
        where === "remote" ? "on" : "in"
      } ${where}, nothing pushed (${blobs.length} layers, ${humanSize(total)} total)`
      : `${label}: pushed to ${where} (${blobs.length} layers, ${humanSize(total)} total)`,
  );
  return {
    status: exists ? "exists" : "pushed",
    ...summaryFields(result),
    layers: blobs.length,
    size: total,
    sent: result.copied.map((d) => d.digest),
  };
}

/** The hint for a chart directory given where a cached chart's reference belongs. */
async function refuseDirectory(arg: string | undefined): Promise<void> {
  if (arg === undefined || !(await Deno.stat(arg).then((i) => i.isDirectory, () => false))) return;
  const chart = await Deno.stat(`${arg}/Chart.yaml`).then(() => true, () => false);
  let reference = true;
  try {
    parseReference(arg);
  } catch {
    reference = false;
  }
  if (!chart && reference) return;
  throw new UsageError(
    `"${arg}" is a directory, not a cached chart: run "h3 chart save ${arg} REF" and then ` +
      `"h3 chart push REF", or push a packaged chart (CHART.tgz oci://REGISTRY/NAMESPACE)`,
  );
}

export default define({
  name: "push",
  description: "Push cached charts to their registry",
  args: {
    refs: {
      type: "positional",
      multiple: true,
      description:
        "References of cached charts; or CHART.tgz oci://REGISTRY[/NAMESPACE]; or REF|CHART.tgz oci:DIR[:REF]|oci-archive:FILE[:REF]",
    },
    ...transportArgs,
    ...reportArgs,
  },
  examples: [
    "$ h3 chart push localhost:5000/myrepo/mychart:latest",
    "",
    "# several charts, 4 at a time",
    "$ h3 chart push localhost:5000/myrepo/a:1.0.0 localhost:5000/myrepo/b:2.1.0 --concurrency 4",
    "",
    "# a registry with a private CA",
    "$ h3 chart push charts.internal/team/mychart:1.0.0 --ca-file ca.pem",
    "",
    "# Helm 3.8+'s form: a packaged chart to oci://REGISTRY/NAMESPACE/<name>:<version>",
    "$ h3 chart push mychart-2.7.0.tgz oci://localhost:5000/myrepo",
    "",
    "# air gap: into an OCI layout directory or a layout archive (REF: the tag, or the version)",
    "$ h3 chart push localhost:5000/myrepo/mychart:2.7.0 oci:charts-layout",
    "$ h3 chart push mychart-2.7.0.tgz oci-archive:bundle.tar:stable",
    "",
    "# a summary for scripts",
    "$ h3 chart push localhost:5000/myrepo/mychart:latest --output json",
  ].join("\n"),
  run: async (ctx) => {
    const refs = ctx.values.refs as string[] | undefined;
    await refuseDirectory(refs?.[0]);
    if (refs?.length === 2 && isLayoutLocation(refs[1])) {
      return await pushLayout(ctx.values, refs[0], refs[1]);
    }
    if (refs && await isChartArchivePath(refs[0])) return await pushArchive(ctx.values, refs);
    await transferEach(ctx.values, async ({ input, h3, print, onEvent, waiting }) => {
      const result = await h3.push(input, {
        onEvent,
        onWaiting: waiting,
        onStart: (ref) => print(`The push refers to repository [${repositoryName(ref)}]`),
      });
      return report(print, refLabel(result.ref), result);
    });
  },
});

/** `push CHART.tgz oci://REGISTRY[/NAMESPACE]`: the archive's bytes as the content layer. */
async function pushArchive(values: Parameters<typeof transferEach>[0], args: string[]) {
  const [path, remote] = args;
  if (args.length !== 2) {
    throw new UsageError("push CHART.tgz takes one remote: oci://REGISTRY[/NAMESPACE]");
  }
  await transferEach({ ...values, refs: [path] }, async ({ h3, print, onEvent, rename }) => {
    const result = await h3.push(path, {
      remote,
      onEvent,
      onStart: (ref) => {
        rename(formatReference(ref));
        print(`The push refers to repository [${repositoryName(ref)}]`);
      },
    });
    const outcome = report(print, refLabel(result.ref), result);
    print(`Digest: ${result.desc.digest}`);
    return outcome;
  });
}

/** `push REF|CHART.tgz oci:DIR[:REF]|oci-archive:FILE[:REF]`: into an OCI layout or archive. */
async function pushLayout(values: Parameters<typeof transferEach>[0], chart: string, dst: string) {
  await transferEach({ ...values, refs: [chart] }, async ({ h3, print, onEvent }) => {
    const result = await h3.pushToLayout(chart, dst, { onEvent });
    print(`The push refers to ${result.layout}`);
    const outcome = report(print, result.reference, result, result.layout);
    print(`Digest: ${result.desc.digest}`);
    return outcome;
  });
}
