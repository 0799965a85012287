/** `h3 chart push REF...`: push cached charts to their registries. @module */
import { define } from "gunshi";
import { archiveSource, readChartArchive } from "../core/chart/archive.ts";
import { UsageError } from "../core/errors.ts";
import {
  archiveReference,
  formatReference,
  parseReference,
  type Reference,
  refLabel,
  repositoryName,
} from "../core/ref.ts";
import { resolveCachedReference } from "../core/chart/versions.ts";
import { type ChartTransfer, pushChart, transfer } from "../core/chart/transfer.ts";
import { humanSize } from "../core/size.ts";
import { chartSummary, summaryFields } from "./_print.ts";
import { type RefOutcome, reportArgs, transferEach } from "./_transfers.ts";
import { transportArgs } from "./_transport_flags.ts";

/**
 * Prints what a push did, in the seed's lines, and returns its JSON outcome: `pushed`, or
 * `exists` when the registry had the chart under that tag already and nothing was sent.
 */
function report(print: (line: string) => void, ref: Reference, result: ChartTransfer): RefOutcome {
  const { config, content, provenance } = result.parts;
  const blobs = provenance ? [config, content, provenance] : [config, content];
  const total = blobs.reduce((sum, d) => sum + d.size, 0);
  const exists = result.upToDate && result.copied.length === 0;
  print(chartSummary(result.meta, result.parts));
  print(
    exists
      ? `${refLabel(ref)}: already on remote, nothing pushed (${blobs.length} layers, ${
        humanSize(total)
      } total)`
      : `${refLabel(ref)}: pushed to remote (${blobs.length} layers, ${humanSize(total)} total)`,
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

/** Whether the first argument names a packaged chart file (Helm 3.8+'s `push CHART.tgz REMOTE`). */
async function isArchive(arg: string | undefined): Promise<boolean> {
  if (arg === undefined) return false;
  return /\.(tgz|tar\.gz)$/.test(arg) || await Deno.stat(arg).then((i) => i.isFile, () => false);
}

export default define({
  name: "push",
  description: "Push cached charts to their registry",
  args: {
    refs: {
      type: "positional",
      multiple: true,
      description: "References of cached charts, or CHART.tgz oci://REGISTRY[/NAMESPACE]",
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
    "# a summary for scripts",
    "$ h3 chart push localhost:5000/myrepo/mychart:latest --output json",
  ].join("\n"),
  run: async (ctx) => {
    const refs = ctx.values.refs as string[] | undefined;
    await refuseDirectory(refs?.[0]);
    if (refs && await isArchive(refs[0])) return await pushArchive(ctx.values, refs);
    await transferEach(ctx.values, async ({ input, repository, cache, print, onEvent }) => {
      const ref = await resolveCachedReference(parseReference(input), cache);
      print(`The push refers to repository [${repositoryName(ref)}]`);
      return report(print, ref, await pushChart(cache, repository.expectPush(), ref, { onEvent }));
    });
  },
});

/** `push CHART.tgz oci://REGISTRY[/NAMESPACE]`: the archive's bytes as the content layer. */
async function pushArchive(values: Parameters<typeof transferEach>[0], args: string[]) {
  const [path, remote] = args;
  if (args.length !== 2) {
    throw new UsageError("push CHART.tgz takes one remote: oci://REGISTRY[/NAMESPACE]");
  }
  const archive = await readChartArchive(path);
  const source = await archiveSource(archive);
  const target = formatReference(archiveReference(remote, archive.meta.name, source.chartTag));
  await transferEach({ ...values, refs: [target] }, async ({ ref, repository, print, onEvent }) => {
    print(`The push refers to repository [${repositoryName(ref)}]`);
    const dst = repository.expectPush();
    const result = await transfer(source, source.chartTag, dst, ref.tag!, path, { onEvent });
    const outcome = report(print, ref, result);
    print(`Digest: ${result.desc.digest}`);
    return outcome;
  });
}
