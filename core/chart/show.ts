/**
 * `chart show`: what `helm show` prints about a chart, read from any Target holding it (the cache,
 * a registry repository, a layout): the manifest, the config blob (Chart.yaml) and, unless only
 * Chart.yaml is wanted, the content blob, read as a stream: values.yaml, the README and the CRDs
 * (the chart's own, then those of its subcharts, packaged or not) are kept, nothing else.
 * @module
 */
import type { Holder, Target } from "../target.ts";
import { fetchManifest } from "../copy.ts";
import { ChartError } from "../errors.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import { formatReference, parseReference, type Reference } from "../ref.ts";
import { readMeta } from "./transfer.ts";
import { defaultMaxFileSize, entryPath, topPart } from "./extract.ts";
import { tarEntries } from "./tgz_entries.ts";
import { chartParts } from "./manifest.ts";
import type { ChartMetadata } from "./metadata.ts";
import { resolveReference, type VersionRequest } from "./versions.ts";

/** What to show, as `helm show` names it. */
export type ShowPart = "chart" | "values" | "readme" | "crds" | "all";

/** Every `ShowPart`, in `helm show`'s order. */
export const showParts: readonly ShowPart[] = ["all", "chart", "values", "readme", "crds"];

/** A file of the chart, as text. */
export interface ChartText {
  /** Its path inside the chart, e.g. `README.md` or `charts/sub/crds/crd.yaml`. */
  name: string;
  /** Its content. */
  text: string;
}

/** What `showChart` read. */
export interface ShowResult {
  /** The chart manifest's descriptor. */
  desc: Descriptor;
  /** Chart.yaml, from the config blob. */
  meta: ChartMetadata;
  /** values.yaml as written, when the chart has one (not read for `chart`). */
  values?: string;
  /** The README (`README.md`, `README.txt` or `README`, any case), when there is one. */
  readme?: ChartText;
  /** CRDs: `crds/**` files (.yaml, .yml, .json) of the chart, then of its subcharts. */
  crds: ChartText[];
}

/** Subcharts packaged inside subcharts are read down to this depth. */
const maxDepth = 5;
const readmeNames = ["readme.md", "readme.txt", "readme"];
const crdPattern = /^(?:charts\/[^/]+\/)*crds\/.+\.(?:ya?ml|json)$/;
const subchartPattern = /^(?:charts\/[^/]+\/)*charts\/[^/]+\.tgz$/;

/**
 * Reads what `part` needs of the chart `reference` (a tag, digest or, in the cache, a full
 * reference) in `target`; `expectDigest` pins the manifest.
 */
export async function showChart(
  target: Target,
  reference: string,
  part: ShowPart,
  expectDigest?: string,
): Promise<ShowResult> {
  const { desc, manifest } = await fetchManifest(target, reference, expectDigest);
  const parts = chartParts(manifest);
  const meta = await readMeta(target, parts.config, reference);
  if (part === "chart") return { desc, meta, crds: [] };
  const files = await readChartFiles(await target.fetch(parts.content), meta.name);
  return { desc, meta, ...files };
}

/** The values, README and CRDs of a packaged chart whose top directory is `top`. */
async function readChartFiles(
  archive: ReadableStream<Uint8Array>,
  top: string,
  depth = 0,
): Promise<Omit<ShowResult, "desc" | "meta">> {
  const found: Omit<ShowResult, "desc" | "meta"> = { crds: [] };
  // Subcharts' CRDs (unpacked or packaged), in archive order, after the chart's own.
  const dependencies: ChartText[] = [];
  for await (const entry of tarEntries(archive)) {
    const name = entryPath(entry.header, top).join("/");
    const wanted = entry.header.type === "file" && (
      (depth === 0 && name === "values.yaml" && found.values === undefined) ||
      (depth === 0 && !found.readme && readmeNames.includes(name.toLowerCase())) ||
      crdPattern.test(name) || (subchartPattern.test(name) && depth < maxDepth)
    );
    if (!wanted) {
      await entry.body.cancel();
      continue;
    }
    if (entry.header.size > defaultMaxFileSize) {
      await entry.body.cancel();
      throw new ChartError(`chart file "${name}" is over the ${defaultMaxFileSize} bytes allowed`);
    }
    const bytes = await new Response(entry.body).bytes();
    if (subchartPattern.test(name)) {
      const sub = await readSubchart(bytes, depth + 1).catch((error) => {
        if (error instanceof ChartError) error.message = `${name}: ${error.message}`;
        throw error;
      });
      const dir = `${name.slice(0, name.lastIndexOf("/"))}/${sub.top}`;
      dependencies.push(...sub.crds.map((crd) => ({ name: `${dir}/${crd.name}`, text: crd.text })));
      continue;
    }
    const text = new TextDecoder().decode(bytes);
    if (name.startsWith("crds/")) found.crds.push({ name, text });
    else if (crdPattern.test(name)) dependencies.push({ name, text });
    else if (name === "values.yaml") found.values = text;
    else found.readme = { name, text };
  }
  found.crds.push(...dependencies);
  return found;
}

/** The CRDs of a packaged subchart and its top directory (what its first entry names). */
async function readSubchart(
  bytes: Uint8Array,
  depth: number,
): Promise<{ top: string; crds: ChartText[] }> {
  let top = "";
  for await (const entry of tarEntries(ReadableStream.from([bytes]))) {
    top = topPart(entry.header.name);
    await entry.body.cancel();
    break;
  }
  if (!top) throw new ChartError("empty subchart archive");
  return { top, crds: (await readChartFiles(ReadableStream.from([bytes]), top, depth)).crds };
}

/** Where `showReference` read the chart. */
export type ShowSource = "cache" | "registry";

/**
 * `chart show REF`: a reference with a tag or digest that the cache holds is read there (no
 * network); anything else from the registry, through `open`, with `request` selecting the version
 * as pull does (a range or none: the tags are listed).
 */
export async function showReference(
  input: string,
  part: ShowPart,
  cache: Target & Holder,
  open: (ref: Reference) => Promise<Target>,
  request: VersionRequest = {},
): Promise<ShowResult & { source: ShowSource }> {
  const ref = parseReference(input);
  if ((ref.tag || ref.digest) && !request.version) {
    const full = formatReference(ref);
    if (await cache.resolve(full).then(() => true, () => false)) {
      await using _held = await cache.hold();
      return { ...await showChart(cache, full, part), source: "cache" };
    }
  }
  const repository = await open(ref);
  const resolved = await resolveReference(ref, repository, request);
  const reference = resolved.tag ?? resolved.digest!;
  return { ...await showChart(repository, reference, part, resolved.digest), source: "registry" };
}
