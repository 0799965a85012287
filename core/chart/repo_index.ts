/**
 * A classic Helm chart repository's `index.yaml`: fetched over HTTP(S) with a deadline and a size
 * cap, parsed with the chart YAML rules, each entry checked (chart name, SemVer version, sha256
 * digest, http(s) URLs resolved against the index's address) before anything uses it.
 * @module
 */
import semver from "semver";
import { ChartError, DigestError } from "../errors.ts";
import { parseYaml } from "./chart_yaml.ts";
import { isValidChartName } from "./metadata.ts";
import { hashingStream, readAll } from "../digest.ts";
import { defaultMaxChartSize } from "./extract.ts";
import { writeStream } from "../stream_file.ts";
import type { ClassicRepoClient } from "./classic_repo.ts";

/** One chart version an index lists. */
export interface IndexEntry {
  /** The chart's name. */
  name: string;
  /** Its SemVer version. */
  version: string;
  /** The .tgz's sha256, hex, when the index gives one. */
  digest?: string;
  /** Absolute http(s) URLs of the .tgz. */
  urls: string[];
  /** When the version was published, if the index says. */
  created?: string;
  /** The entry as the index holds it (Chart.yaml fields and more), for writing an index back. */
  raw: Record<string, unknown>;
}

/** An entry that could not be used, and why. */
export interface BadEntry {
  /** The chart's name, as listed. */
  name: string;
  /** Its version, as listed. */
  version: string;
  /** What is wrong with the entry. */
  reason: string;
}

/** A parsed index: usable entries and refused ones. */
export interface RepoIndex {
  /** Entries that can be imported. */
  entries: IndexEntry[];
  /** Entries refused, and why. */
  bad: BadEntry[];
}

/** Largest index.yaml read. */
export const maxIndexSize = 64 * 1024 * 1024;

/** The address of a repository's index: `URL/index.yaml` unless the URL names a .yaml file. */
export function indexAddress(input: string): URL {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new ChartError(`invalid repository URL "${input}"`);
  }
  if (!/\.ya?ml$/.test(url.pathname)) {
    url = new URL(`${url.pathname.replace(/\/?$/, "/")}index.yaml${url.search}`, url);
  }
  return url;
}

/** Fetches and parses the index at `url` with `client`. */
export async function fetchIndex(url: URL, client: ClassicRepoClient): Promise<RepoIndex> {
  const response = await client.get(url, "repository index");
  const text = new TextDecoder().decode(await readAll(response.body!, maxIndexSize));
  return parseIndex(text, url);
}

/** Parses index.yaml text; relative chart URLs are resolved against `base`. */
export function parseIndex(text: string, base: URL): RepoIndex {
  const doc = parseYaml(text, "index.yaml") as Record<string, unknown> | null;
  const entries = doc?.entries;
  if (typeof entries !== "object" || entries === null || Array.isArray(entries)) {
    throw new ChartError("index.yaml has no entries mapping: not a Helm repository index");
  }
  const found: RepoIndex = { entries: [], bad: [] };
  for (const [key, versions] of Object.entries(entries)) {
    if (!Array.isArray(versions)) continue;
    for (const value of versions) {
      const raw = (typeof value === "object" && value !== null ? value : {}) as Record<
        string,
        unknown
      >;
      const name = typeof raw.name === "string" ? raw.name : key;
      const version = typeof raw.version === "string" ? raw.version : "";
      const problem = entryProblem(raw, name, key, version);
      if (problem) {
        found.bad.push({ name, version, reason: problem });
        continue;
      }
      let urls: string[];
      try {
        urls = (raw.urls as string[]).map((u) => new URL(u, base).href);
      } catch {
        found.bad.push({ name, version, reason: "a url is malformed" });
        continue;
      }
      const digest = typeof raw.digest === "string" ? raw.digest.toLowerCase() : undefined;
      const created = typeof raw.created === "string" ? raw.created : undefined;
      found.entries.push({ name, version, digest, urls, created, raw });
    }
  }
  return found;
}

function entryProblem(
  raw: Record<string, unknown>,
  name: string,
  key: string,
  version: string,
): string | undefined {
  if (name !== key) return `listed under "${key}" but named "${name}"`;
  if (!isValidChartName(name)) return `invalid chart name "${name}"`;
  if (!semver.valid(version) || version.length > 128) return `invalid version "${version}"`;
  if (raw.digest !== undefined && !/^[a-fA-F0-9]{64}$/.test(String(raw.digest))) {
    return "digest is not a sha256 hex string";
  }
  const urls = raw.urls;
  if (!Array.isArray(urls) || urls.length === 0 || !urls.every((u) => typeof u === "string")) {
    return "no urls";
  }
  return undefined;
}

/**
 * Downloads the chart archive at `url` to a new file `path` with `client`, hashing it on the way; with
 * `expectHex` (an index's sha256 digest) another digest is a `DigestError` (the file stays, for
 * the caller's temp directory to remove).
 */
export async function downloadArchive(
  url: URL,
  path: string,
  expectHex: string | undefined,
  what: string,
  client: ClassicRepoClient,
): Promise<void> {
  const { stream, measured } = hashingStream();
  const response = await client.get(url, what);
  await writeStream(
    await Deno.open(path, { write: true, createNew: true }),
    response.body!.pipeThrough(capped(defaultMaxChartSize)).pipeThrough(stream),
  );
  const { digest } = await measured;
  if (expectHex && digest !== `sha256:${expectHex}`) {
    throw new DigestError(
      `${url.href} has digest ${digest}, but index.yaml says sha256:${expectHex}`,
    );
  }
}

/** Errors once more than `max` bytes have passed. */
export function capped(max: number): TransformStream<Uint8Array, Uint8Array> {
  let size = 0;
  return new TransformStream({
    transform(chunk, controller) {
      size += chunk.byteLength;
      if (size > max) throw new DigestError(`download larger than the ${max} bytes allowed`);
      controller.enqueue(chunk);
    },
  });
}
