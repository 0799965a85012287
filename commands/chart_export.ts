/** `h3 chart export REF`: write a cached chart back into a directory. @module */
import { define } from "./_define.ts";
import { openCommandClient } from "./_transport_flags.ts";
import { defaultMaxChartSize, defaultMaxFileSize } from "../core/chart/extract.ts";
import { UsageError } from "./_errors.ts";
import { reportArgs, reporter } from "./_output.ts";
import { chartSummary } from "./_print.ts";

export default define({
  name: "export",
  description: "Export a cached chart to a directory",
  args: {
    ref: { type: "positional", description: "Reference of a cached chart" },
    destination: {
      type: "string",
      short: "d",
      default: ".",
      description: "Directory to write the chart into (as DIR/<chart name>/)",
    },
    force: {
      type: "boolean",
      default: false,
      description: "Replace DIR/<chart name>/ if it exists (only once the export has succeeded)",
    },
    "max-chart-size": {
      type: "string",
      default: "100MiB",
      description: "Largest decompressed chart accepted (e.g. 200MiB)",
    },
    "max-file-size": {
      type: "string",
      default: "5MiB",
      description: "Largest single file accepted (e.g. 20MiB)",
    },
    ...reportArgs,
  },
  examples: "$ h3 chart export localhost:5000/myrepo/mychart:latest\n\n" +
    "# into out/mychart/, replacing it if present\n" +
    "$ h3 chart export localhost:5000/myrepo/mychart:latest --destination out --force",
  run: async (ctx) => {
    const out = reporter(ctx.values);
    await using h3 = await openCommandClient();
    const result = await h3.exportChart(ctx.values.ref, ctx.values.destination, {
      force: ctx.values.force,
      maxSize: parseSize(ctx.values["max-chart-size"], "--max-chart-size", defaultMaxChartSize),
      maxFileSize: parseSize(ctx.values["max-file-size"], "--max-file-size", defaultMaxFileSize),
    });
    out.print(chartSummary(result.meta, result.parts));
    out.print(`Exported to ${result.path}/`);
    out.result({
      ref: result.ref,
      status: "exported",
      name: result.meta.name,
      version: result.meta.version,
      meta: result.parts.config.digest,
      content: result.parts.content.digest,
      path: result.path,
    });
  },
});

const units: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

/** Parses a size flag: bytes, or a number with a binary unit (`200MiB`, `1G`). */
function parseSize(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match ? units[match[2].toLowerCase()] : undefined;
  if (!match || unit === undefined || Number(match[1]) <= 0) {
    throw new UsageError(`invalid ${flag} "${text}": use bytes or a size like 200MiB`);
  }
  return Math.floor(Number(match[1]) * unit);
}
