/**
 * What a chart's `charts/` directory holds: packaged charts (their name and version, read from
 * the Chart.yaml inside) and chart directories; and which declared dependencies it lacks, which
 * `chart save` checks as `helm package` does. Kept apart from the dependency resolver
 * (dependencies.ts), whose registry, repository and SemVer code a save does not need.
 * @module
 */
import { ChartError } from "../errors.ts";
import { parseYaml } from "./chart_yaml.ts";
import { entryPath, topPart } from "./extract.ts";
import { tarEntries } from "./tgz_entries.ts";
import type { ChartMetadata } from "./metadata.ts";

/** Name and version of a packaged chart, from its Chart.yaml. */
export async function archiveMeta(path: string): Promise<{ name: string; version: string }> {
  const file = await Deno.open(path);
  for await (const entry of tarEntries(file.readable)) {
    const top = topPart(entry.header.name);
    const rel = entry.header.type === "file" ? entryPath(entry.header, top).join("/") : "";
    if (rel !== "Chart.yaml") {
      await entry.body.cancel();
      continue;
    }
    const fields = parseYaml(await new Response(entry.body).text(), `${path}: Chart.yaml`) as
      | Record<string, unknown>
      | null;
    return { name: String(fields?.name ?? ""), version: String(fields?.version ?? "") };
  }
  throw new ChartError(`${path}: no Chart.yaml in the archive`);
}

/** What `DIR/charts/` holds: packaged charts (name, version) and chart directories (name). */
export interface ChartsContent {
  /** The packaged charts (`.tgz`) whose Chart.yaml could be read. */
  packed: { name: string; version: string }[];
  /** The names of the chart directories. */
  unpacked: Set<string>;
}

/** What `dir/charts/` holds (nothing when there is no such directory). */
export async function chartsContent(dir: string): Promise<ChartsContent> {
  const packed: { name: string; version: string }[] = [];
  const unpacked = new Set<string>();
  const exists = await Deno.stat(`${dir}/charts`).then((i) => i.isDirectory, () => false);
  for await (const entry of exists ? Deno.readDir(`${dir}/charts`) : []) {
    const path = `${dir}/charts/${entry.name}`;
    if (entry.isFile && entry.name.endsWith(".tgz")) {
      const meta = await archiveMeta(path).catch(() => undefined);
      if (meta) packed.push(meta);
    } else if (entry.isDirectory) {
      const text = await Deno.readTextFile(`${path}/Chart.yaml`).catch(() => undefined);
      const fields = text === undefined ? undefined : parseYaml(text, `${path}/Chart.yaml`);
      const name = (fields as Record<string, unknown> | null)?.name;
      if (typeof name === "string") unpacked.add(name);
    }
  }
  return { packed, unpacked };
}

/** The declared dependencies `charts/` does not hold (as packaged charts or directories). */
export async function missingDependencies(dir: string, meta: ChartMetadata): Promise<string[]> {
  if (!meta.dependencies?.length) return [];
  const { packed, unpacked } = await chartsContent(dir);
  // A dependency without a name (Helm 3 loads one) names nothing to look for.
  return meta.dependencies
    .filter((d) => d.name !== "")
    .filter((d) => !unpacked.has(d.name) && !packed.some((p) => p.name === d.name))
    .map((d) => d.name);
}
