/**
 * The bench's fixtures, made by code: random-ish but compressible text (chart-like YAML), chart
 * directories, charts written straight into an OCI layout through the cache API, and cache homes
 * that name many refs cheaply (hard-linked blobs, an index.json written once).
 * @module
 */
import { OciLayout } from "../core/cache/layout.ts";
import { encodeConfig } from "../core/chart/config.ts";
import { chartAnnotations } from "../core/chart/save.ts";
import {
  type Descriptor,
  encodeManifest,
  type Manifest,
  manifestDescriptor,
} from "../core/oci/descriptor.ts";
import {
  annotations,
  helmConfig,
  helmContent,
  ociIndex,
  ociManifest,
} from "../core/oci/media_types.ts";
import { fileEntry, tgz } from "../tests/helpers/charts.ts";

const words = [
  "replicaCount",
  "image",
  "repository",
  "tag",
  "pullPolicy",
  "service",
  "port",
  "ingress",
  "enabled",
  "annotations",
  "resources",
  "limits",
  "requests",
  "cpu",
  "memory",
  "nodeSelector",
  "tolerations",
  "affinity",
  "labels",
  "selector",
  "matchLabels",
  "template",
  "metadata",
  "spec",
  "containers",
  "volumeMounts",
  "configMap",
  "secretName",
  "readinessProbe",
  "livenessProbe",
  "httpGet",
  "path",
];

/** A small fast PRNG (xorshift32), so fixtures are the same on every run. */
function random(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/** `bytes` of YAML-like text: repeated keys, varying values; gzip takes it to about a third. */
export function chartText(bytes: number, seed: number): string {
  const next = random(seed);
  const parts: string[] = [];
  let length = 0;
  while (length < bytes) {
    const depth = "  ".repeat(next() % 4);
    const line = `${depth}${words[next() % words.length]}: ${words[next() % words.length]}-${
      next() % 100000
    }\n`;
    parts.push(line);
    length += line.length;
  }
  return parts.join("").slice(0, bytes);
}

/**
 * `bytes` of a flat YAML mapping (distinct keys, varying values) that Helm's loader accepts as
 * values.yaml, unlike `chartText`'s free indentation; about as compressible.
 */
export function valuesText(bytes: number, seed: number): string {
  const next = random(seed);
  const parts: string[] = [];
  let length = 0;
  for (let i = 0; length < bytes; i++) {
    const line = `${words[next() % words.length]}${i}: ${words[next() % words.length]}-${
      next() % 100000
    }\n`;
    parts.push(line);
    length += line.length;
  }
  return parts.join("").slice(0, bytes).replace(/[^\n]*$/, "");
}

/** `bytes` of incompressible pseudo-random data, streamed in 1 MiB chunks. */
export function randomBytes(bytes: number, seed: number): ReadableStream<Uint8Array> {
  const next = random(seed);
  let left = bytes;
  return new ReadableStream({
    pull(controller) {
      if (left <= 0) return controller.close();
      const size = Math.min(left, 1 << 20);
      const words = new Uint32Array(Math.ceil(size / 4));
      for (let i = 0; i < words.length; i++) words[i] = next();
      controller.enqueue(new Uint8Array(words.buffer, 0, size));
      left -= size;
    },
  });
}

/** Writes a chart directory: Chart.yaml and `files` text files of `fileBytes` each. */
export async function writeChartDir(
  dir: string,
  name: string,
  files: number,
  fileBytes: number,
): Promise<void> {
  await Deno.mkdir(`${dir}/templates`, { recursive: true });
  await Deno.writeTextFile(`${dir}/Chart.yaml`, chartYaml(name));
  for (let i = 0; i < files; i++) {
    await Deno.writeTextFile(`${dir}/templates/t${i}.yaml`, chartText(fileBytes, i + 1));
  }
}

/** A small chart's package (.tgz): Chart.yaml, values and a template of `textBytes` text. */
export function smallChartPackage(
  name: string,
  textBytes: number,
  seed: number,
): Promise<Uint8Array> {
  return chartPackage(name, [
    ["values.yaml", valuesText(textBytes / 4, seed)],
    ["templates/all.yaml", chartText((textBytes * 3) / 4, seed + 7)],
  ]);
}

/** The package (.tgz) of the chart `writeChartDir` writes: Chart.yaml and `files` templates. */
export function manyFilesPackage(
  name: string,
  files: number,
  fileBytes: number,
): Promise<Uint8Array> {
  return chartPackage(
    name,
    Array.from({ length: files }, (_, i) => [`templates/t${i}.yaml`, chartText(fileBytes, i + 1)]),
  );
}

/** A package (.tgz) of chart `name`: its Chart.yaml, then `files` (path in the chart, text). */
function chartPackage(name: string, files: [string, string][]): Promise<Uint8Array> {
  return tgz([
    fileEntry(`${name}/Chart.yaml`, chartYaml(name)),
    ...files.map(([path, text]) => fileEntry(`${name}/${path}`, text)),
  ]);
}

/** The Chart.yaml of the bench's charts: `name`, version 1.0.0. */
function chartYaml(name: string): string {
  return `apiVersion: v2\nname: ${name}\nversion: 1.0.0\n`;
}

/**
 * Stores a chart in `cache` through the cache API (config, content, manifest) and tags it `ref`.
 * `content` is the package, as bytes or a stream; returns the manifest's descriptor.
 */
export async function storeChart(
  cache: OciLayout,
  ref: string,
  name: string,
  content: Uint8Array | ReadableStream<Uint8Array>,
): Promise<Descriptor> {
  const meta = { apiVersion: "v2", name, version: "1.0.0" };
  const configBytes = encodeConfig(meta);
  const config = await manifestDescriptor(configBytes, helmConfig);
  await cache.push(config, ReadableStream.from([configBytes]));
  const stream = content instanceof Uint8Array ? ReadableStream.from([content]) : content;
  const layer = await cache.ingest(stream, helmContent);
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: ociManifest,
    config,
    layers: [layer],
    annotations: chartAnnotations(meta, new Date()),
  };
  const bytes = encodeManifest(manifest);
  const desc = await manifestDescriptor(bytes);
  await cache.push(desc, ReadableStream.from([bytes]));
  await cache.tag(desc, ref);
  return desc;
}

/** Charts per source layout: `tag` rewrites the whole index, so big layouts fill slowly. */
const perLayout = 100;

/**
 * Stores `count` distinct small charts (~8 KiB packages, named `chart-K`, tagged `chart-K`) in
 * layouts under `dir`, 100 to a layout; returns the layouts.
 */
export async function smallCharts(dir: string, count: number): Promise<OciLayout[]> {
  const layouts: OciLayout[] = [];
  for (let k = 0; k < count; k++) {
    if (k % perLayout === 0) layouts.push(await OciLayout.open(`${dir}/part-${layouts.length}`));
    const name = `chart-${k}`;
    await storeChart(layouts.at(-1)!, name, name, await smallChartPackage(name, 29_000, k + 1));
  }
  return layouts;
}

/**
 * Makes a HELM_HOME whose cache names `refs` (new name → a ref of one of `sources`): the sources'
 * blobs hard-linked, index.json written once, each entry as `tag` writes it for that name.
 * Returns the home directory.
 */
export async function homeWithRefs(
  home: string,
  sources: OciLayout[],
  refs: [name: string, from: string][],
): Promise<string> {
  const dir = `${home}/registry`;
  await Deno.mkdir(`${dir}/blobs/sha256`, { recursive: true });
  const byRef = new Map<string, Descriptor>();
  for (const source of sources) {
    for await (const blob of Deno.readDir(`${source.dir}/blobs/sha256`)) {
      const to = `${dir}/blobs/sha256/${blob.name}`;
      await Deno.link(`${source.dir}/blobs/sha256/${blob.name}`, to).catch((error) => {
        if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
      });
    }
    for (const entry of await source.entries()) byRef.set(entry.ref, entry.desc);
  }
  await Deno.copyFile(`${sources[0].dir}/oci-layout`, `${dir}/oci-layout`);
  const manifests = refs.map(([name, from]) => {
    const desc = byRef.get(from);
    if (!desc) throw new Error(`bench fixture: no ref ${from} in the source layouts`);
    return { ...desc, annotations: { ...desc.annotations, [annotations.refName]: name } };
  }).sort((a, b) =>
    a.annotations[annotations.refName].localeCompare(b.annotations[annotations.refName])
  );
  const index = { schemaVersion: 2, mediaType: ociIndex, manifests };
  await Deno.writeTextFile(`${dir}/index.json`, JSON.stringify(index, null, 2) + "\n");
  return home;
}
