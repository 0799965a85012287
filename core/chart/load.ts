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

  let fields = parseYaml(await Deno.readTextFile(chartFile), chartFile);
  let source = chartFile;
  if (kept("requirements.yaml") && isMapping(fields)) {
    // As Helm 3's loader: requirements.yaml (apiVersion v1's dependencies, still read for v2) is
    // decoded over Chart.yaml's fields, so its `dependencies` replace any in Chart.yaml.
    const requirementsFile = `${dir}/requirements.yaml`;
    const requirements = parseYaml(await Deno.readTextFile(requirementsFile), requirementsFile);
    if (isMapping(requirements)) {
      fields = { ...fields, ...requirements };
      source = `${chartFile} (with requirements.yaml)`;
    }
  }
  const meta = validateMetadata(fields, source);
  if (kept("values.yaml")) {
    // As Helm's loader, which refuses to package or push a chart whose values it cannot read.
    const valuesFile = `${dir}/values.yaml`;
    checkValuesYaml(await Deno.readTextFile(valuesFile), valuesFile);
  }
  return { dir, meta, files };
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
