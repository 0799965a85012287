/**
 * Loading a chart directory for packaging: its validated metadata (and values.yaml checked, as
 * Helm checks it) and the list of files to pack.
 * Everything that can be wrong with the directory is found here, before anything is written.
 * @module
 */
import { ChartError } from "../errors.ts";
import { checkValuesYaml, parseYaml } from "./chart_yaml.ts";
import { type ChartMetadata, validateMetadata } from "./metadata.ts";
import { type ChartFile, helmIgnoreFile, readIgnoreRules, walkChart } from "./_walk.ts";

export type { ChartFile } from "./_walk.ts";

/** A chart directory ready to be packaged. */
export interface ChartSource {
  /** The directory, as the user named it (trailing slashes removed). */
  dir: string;
  /** Chart.yaml, validated and sanitized as Helm does. */
  meta: ChartMetadata;
  /** What goes into the package, parents before children, in sorted order. */
  files: ChartFile[];
}

/** Reads and checks a chart directory; throws a `ChartError` naming the file and field. */
export async function loadChartDir(input: string): Promise<ChartSource> {
  const dir = input.length > 1 ? input.replace(/\/+$/, "") : input;
  const info = await Deno.stat(dir).catch((error) => {
    if (error instanceof Deno.errors.NotFound) throw new ChartError(`${dir}: no such directory`);
    throw error;
  });
  if (!info.isDirectory) throw new ChartError(`${dir}: not a directory`);

  const chartFile = `${dir}/Chart.yaml`;
  if (!(await Deno.stat(chartFile).then((i) => i.isFile, () => false))) {
    throw new ChartError(`${dir}: no Chart.yaml (not a chart directory)`);
  }
  const files = await walkChart(dir, dir, await readIgnoreRules(dir));
  const kept = (name: string) => files.some((f) => f.name === name && !f.dir);
  if (!kept("Chart.yaml")) {
    throw new ChartError(
      `${chartFile}: excluded by ${dir}/${helmIgnoreFile}, but a chart needs it`,
    );
  }

  const meta = await chartMetadata(
    (name) => kept(name) ? Deno.readTextFile(`${dir}/${name}`) : undefined,
    (name) => `${dir}/${name}`,
  );
  return { dir, meta, files };
}

/** The files of a chart that its metadata checks read. */
export type MetadataFile = "Chart.yaml" | "requirements.yaml" | "values.yaml";

/**
 * A chart's Chart.yaml, validated and sanitized as Helm does, with values.yaml checked as Helm's
 * loader checks it; `read` gives a file's text (undefined when the chart has none; Chart.yaml it
 * must have), `label` names the file in errors.
 */
export async function chartMetadata(
  read: (name: MetadataFile) => string | undefined | Promise<string | undefined>,
  label: (name: MetadataFile) => string,
): Promise<ChartMetadata> {
  const chartFile = label("Chart.yaml");
  let fields = parseYaml((await read("Chart.yaml")) ?? "", chartFile);
  let source = chartFile;
  const requirementsText = await read("requirements.yaml");
  if (requirementsText !== undefined && isMapping(fields)) {
    // As Helm 3's loader: requirements.yaml (apiVersion v1's dependencies, still read for v2) is
    // decoded over Chart.yaml's fields, so its `dependencies` replace any in Chart.yaml.
    const requirements = parseYaml(requirementsText, label("requirements.yaml"));
    if (isMapping(requirements)) {
      fields = { ...fields, ...requirements };
      source = `${chartFile} (with requirements.yaml)`;
    }
  }
  const meta = validateMetadata(fields, source);
  const values = await read("values.yaml");
  // As Helm's loader, which refuses to package or push a chart whose values it cannot read.
  if (values !== undefined) checkValuesYaml(values, label("values.yaml"));
  return meta;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
