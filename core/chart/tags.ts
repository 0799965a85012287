/**
 * The charts behind a registry repository's tags: for each tag its manifest and config blob only
 * (name, version, app version, description; the creation time from the manifest's annotation),
 * never the chart content. SemVer tags come newest first, then the other tags by name.
 * @module
 */
import pLimit from "p-limit";
import { fetchManifest } from "../copy.ts";
import { ChartError, H3Error, RegistryError } from "../errors.ts";
import { annotations } from "../oci/media_types.ts";
import { isMissing, type Target } from "../target.ts";
import { readMeta } from "./transfer.ts";
import { chartParts } from "./manifest.ts";
import { versionTags } from "./versions.ts";

/** One tag of a repository, and the chart it points at (if it is one). */
export interface TagInfo {
  /** The tag, as the registry lists it. */
  tag: string;
  /** The manifest's digest. */
  digest: string;
  /** False for a tag whose manifest is not a Helm chart (then `reason` says why). */
  chart: boolean;
  /** The chart's name. */
  name?: string;
  /** The chart's version. */
  version?: string;
  /** The chart's appVersion, when set. */
  appVersion?: string;
  /** The chart's description, when set. */
  description?: string;
  /** `org.opencontainers.image.created` of the manifest, when set. */
  created?: string;
  /** Why the tag is not a chart. */
  reason?: string;
}

/** How to read the tags. */
export interface TagListOptions {
  /** Tags read at once (default 8). */
  concurrency?: number;
  /** Keep tags that are not charts (marked `chart: false`); by default they are left out. */
  all?: boolean;
  /** Receives each name the registry listed that is not a valid tag (it is skipped). */
  onInvalidTag?: (tag: string) => void;
}

/**
 * The warning for a name the registry listed in `repository` that is not a valid tag (it is
 * skipped); a long name is cut at 200 characters.
 */
export function invalidTagMessage(repository: string, tag: string): string {
  return `${repository}: skipped "${tag.length > 200 ? `${tag.slice(0, 200)}...` : tag}": ` +
    "not a valid tag";
}

/** SemVer tags newest first, then the others in name order. */
export function tagOrder(tags: string[]): string[] {
  const versions = versionTags(tags).map((v) => v.tag);
  const known = new Set(versions);
  return [...versions, ...tags.filter((t) => !known.has(t)).sort()];
}

/** Whether an error says a manifest is not a chart (rather than that reading it failed). */
export function notAChart(error: unknown): error is ChartError | RegistryError {
  return error instanceof ChartError ||
    (error instanceof RegistryError && error.code === "MANIFEST_INVALID");
}

/** Reads one tag's manifest and config; undefined when the tag went away meanwhile. */
async function describeTag(repository: Target, tag: string): Promise<TagInfo | undefined> {
  let fetched;
  try {
    fetched = await fetchManifest(repository, tag);
  } catch (error) {
    if (isMissing(error)) return undefined;
    if (!notAChart(error)) throw error;
    const digest = (await repository.resolve(tag).catch(() => undefined))?.digest ?? "";
    return { tag, digest, chart: false, reason: error.message };
  }
  const { desc, manifest } = fetched;
  const created = manifest.annotations?.[annotations.created];
  try {
    const meta = await readMeta(repository, chartParts(manifest).config, tag);
    return {
      tag,
      digest: desc.digest,
      chart: true,
      name: meta.name,
      version: meta.version,
      appVersion: meta.appVersion,
      description: meta.description,
      created,
    };
  } catch (error) {
    if (!notAChart(error)) throw error;
    return { tag, digest: desc.digest, chart: false, created, reason: error.message };
  }
}

/** Every tag of `repository` with the chart it points at, in `tagOrder`. */
export async function listChartTags(
  repository: Target,
  options: TagListOptions = {},
): Promise<TagInfo[]> {
  const tags = tagOrder(
    await Array.fromAsync(repository.tags({ onInvalid: options.onInvalidTag })),
  );
  const limit = pLimit(options.concurrency ?? 8);
  const infos = await Promise.all(
    tags.map((tag) =>
      limit(() =>
        describeTag(repository, tag).catch((error) => {
          if (error instanceof H3Error) error.message = `tag ${tag}: ${error.message}`;
          throw error;
        })
      )
    ),
  );
  return infos.filter((info): info is TagInfo =>
    info !== undefined && (info.chart || !!options.all)
  );
}
