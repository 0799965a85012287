/** `h3 repo import INDEX_URL REGISTRY/NAMESPACE`: a classic chart repository moved to OCI. @module */
import { define } from "gunshi/definition";
import { writeFileAtomic } from "../core/chart/download.ts";
import { PartialFailure, UsageError } from "../core/errors.ts";
import { describeError } from "./_errors.ts";
import { parseReference } from "../core/ref.ts";
import { importRepository, type ImportResult, ociIndexYaml } from "../core/repo/import.ts";
import { reportArgs, reporter } from "./_output.ts";
import {
  debugEnabled,
  refConcurrency,
  RegistryOpener,
  transportArgs,
  transportFlags,
} from "./_transport_flags.ts";

const encoder = new TextEncoder();

function resultLine(result: ImportResult): string {
  switch (result.status) {
    case "pushed":
      return `${result.entry.name} ${result.entry.version}: pushed ${result.ref} (${result.digest}` +
        `${result.provenance ? ", with provenance" : ""})`;
    case "exists":
      return `${result.entry.name} ${result.entry.version}: already in ${result.ref}`;
    case "failed":
      return `Error: ${result.name} ${result.version}: ${describeError(result.error)}`;
  }
}

export default define({
  name: "import",
  description: "Push every chart of a classic repository (index.yaml) to an OCI registry",
  args: {
    index: {
      type: "positional",
      description: "The repository: its URL or its index.yaml's (http or https)",
    },
    namespace: {
      type: "positional",
      description: "Where charts go: registry/namespace (each chart to registry/namespace/NAME)",
    },
    chart: { type: "string", description: "Only this chart" },
    version: {
      type: "string",
      description: "Only versions in this SemVer range (e.g. '>=1.0.0, <2.0.0')",
    },
    devel: { type: "boolean", description: "With --version: pre-releases count too" },
    "index-out": {
      type: "string",
      description: "Write an index.yaml whose urls point at the oci:// charts",
    },
    ...transportArgs,
    ...reportArgs,
  },
  examples: [
    "$ h3 repo import https://charts.example.com localhost:5000/charts",
    "",
    "# one chart, the 1.x versions; a re-run pushes only what is missing",
    "$ h3 repo import https://charts.example.com/index.yaml localhost:5000/charts --chart app --version '^1'",
    "",
    "# and an index.yaml for clients that still read one",
    "$ h3 repo import https://charts.example.com localhost:5000/charts --index-out oci-index.yaml",
  ].join("\n"),
  run: async (ctx) => {
    const { index, namespace: target, chart, version, devel } = ctx.values;
    if (!index || !target) {
      throw new UsageError("missing INDEX_URL or REGISTRY/NAMESPACE: give both");
    }
    const namespace = parseReference(target);
    if (namespace.tag || namespace.digest) {
      throw new UsageError(`${target}: give a registry namespace without a tag or digest`);
    }
    const out = reporter(ctx.values);
    const flags = transportFlags(ctx.values);
    const debug = debugEnabled() ? (line: string) => console.error(line) : undefined;
    using opener = new RegistryOpener(flags, debug);
    const summary = await importRepository(
      index,
      namespace,
      async (ref) => (await opener.open(ref)).expectPush(),
      {
        chart,
        version,
        devel,
        concurrency: await refConcurrency(flags),
        onResult: (result) =>
          result.status === "failed"
            ? console.error(resultLine(result))
            : out.print(resultLine(result)),
      },
    );
    const indexOut = ctx.values["index-out"];
    if (indexOut) {
      await writeFileAtomic(indexOut, ReadableStream.from([encoder.encode(ociIndexYaml(summary))]));
    }
    out.result({
      results: summary.results.map((r) =>
        r.status === "failed"
          ? { name: r.name, version: r.version, status: r.status, error: describeError(r.error) }
          : {
            name: r.entry.name,
            version: r.entry.version,
            status: r.status,
            ref: r.ref,
            ...(r.status === "pushed" ? { digest: r.digest, provenance: r.provenance } : {}),
          }
      ),
      pushed: summary.pushed,
      existing: summary.existing,
      failed: summary.failed,
    });
    out.print(
      `Imported ${summary.pushed} chart version${summary.pushed === 1 ? "" : "s"}, ` +
        `${summary.existing} already there, ${summary.failed} failed`,
    );
    if (summary.failed) {
      const failed = summary.results.flatMap((r) =>
        r.status === "failed" ? [`${r.name} ${r.version}`] : []
      );
      throw new PartialFailure(
        `${summary.failed} of ${summary.results.length} chart versions failed to import: ` +
          failed.join(", "),
      );
    }
  },
});
