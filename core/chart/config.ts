/**
 * The chart config blob (the seed's "Meta"): chart metadata as JSON, byte for byte as Helm's
 * `json.Marshal(chart.Metadata)` writes it: Go field order, empty fields left out, map keys
 * sorted, and `<`, `>`, `&`, U+2028, U+2029 escaped as Go does.
 * @module
 */
import { ChartError } from "../errors.ts";
import type { ChartMetadata, Dependency } from "./metadata.ts";
import { validateMetadata } from "./metadata.ts";

/** Config blobs larger than this are refused before being read whole. */
export const maxConfigSize = 4 * 1024 * 1024;

const encoder = new TextEncoder();

/** The config blob's bytes for a chart's metadata, as Helm writes them. */
export function encodeConfig(meta: ChartMetadata): Uint8Array {
  const ordered = omitEmpty({
    name: meta.name,
    home: meta.home,
    sources: meta.sources,
    version: meta.version,
    description: meta.description,
    keywords: meta.keywords,
    maintainers: meta.maintainers?.map((m) =>
      omitEmpty({ name: m.name, email: m.email, url: m.url })
    ),
    icon: meta.icon,
    apiVersion: meta.apiVersion,
    condition: meta.condition,
    tags: meta.tags,
    appVersion: meta.appVersion,
    deprecated: meta.deprecated,
    annotations: meta.annotations && sortKeys(meta.annotations),
    kubeVersion: meta.kubeVersion,
    dependencies: meta.dependencies?.map(orderDependency),
    type: meta.type,
  });
  return encoder.encode(goJson(ordered));
}

/** Parses and validates a config blob; `source` names it in errors (e.g. its digest). */
export function decodeConfig(bytes: Uint8Array, source: string): ChartMetadata {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new ChartError(`${source}: chart config is not valid JSON`);
  }
  return validateMetadata(value, source);
}

function orderDependency(d: Dependency): Record<string, unknown> {
  // name and repository have no omitempty in Helm's struct: they are always written.
  return {
    name: d.name,
    ...omitEmpty({ version: d.version }),
    repository: d.repository,
    ...omitEmpty({
      condition: d.condition,
      tags: d.tags,
      enabled: d.enabled,
      "import-values": d["import-values"]?.map(sortDeep),
      "export-values": d["export-values"]?.map(sortDeep),
      alias: d.alias,
    }),
  };
}

/** Drops what Go's `omitempty` drops: undefined, "", false, empty lists and empty maps. */
function omitEmpty(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => !isEmpty(v)));
}

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === "" || value === false) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === "object") return Object.keys(value).length === 0;
  return false;
}

function sortKeys<T>(map: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Go marshals `map[string]interface{}` with sorted keys at every level. */
function sortDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortDeep);
  if (value && typeof value === "object") {
    return sortKeys(
      Object.fromEntries(Object.entries(value).map(([k, v]) => [k, sortDeep(v)])),
    );
  }
  return value;
}

/** JSON as Go's encoder writes it: compact, with Go's HTML-safe escapes. */
function goJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
