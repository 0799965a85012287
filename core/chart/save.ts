/**
 * Saving a chart directory into the local cache: validate it, store its config ("Meta") and its
 * package ("Content") as blobs, then an OCI image manifest with Helm's annotations, and only then
 * point the reference at it. Every check runs before the first write; a failure later leaves at
 * most unreferenced blobs (collected by prune), never a reference to a partial chart.
 * @module
 */
import { ChartError, operation, option, phrase, RefError, SettingError } from "../errors.ts";
import {
  type Descriptor,
  digestOf,
  encodeManifest,
  type Manifest,
  manifestDescriptor,
} from "../oci/descriptor.ts";
import {
  annotations,
  helmConfig,
  helmContent,
  helmProvenance,
  ociManifest,
} from "../oci/media_types.ts";
import { archiveName, provenanceMessage } from "./provenance_text.ts";
import { formatReference, parseReference, type Reference, versionToTag, withTag } from "../ref.ts";
import type { Holder, Ingester, Pusher, Tagger } from "../target.ts";
import { encodeConfig } from "./config.ts";
import { missingDependencies } from "./charts_dir.ts";
import { loadChartDir } from "./load.ts";
import type { ChartMetadata } from "./metadata.ts";
import { packChart } from "./package.ts";

/** What saving a chart stored. */
export interface SaveResult {
  /** The reference saved, with its tag (the chart version when none was given). */
  ref: Reference;
  /** The chart's metadata, from its Chart.yaml. */
  meta: ChartMetadata;
  /** The config blob stored (Chart.yaml as JSON, the seed's "Meta"). */
  config: Descriptor;
  /** The package stored (the seed's "Content"). */
  content: Descriptor;
  /** The `.prov` stored, when signing was asked for. */
  provenance?: Descriptor;
  /** The manifest the reference points at. */
  manifest: Descriptor;
}

/** How to save. */
export interface SaveOptions {
  /** Called once a blob is stored: the config ("meta") first, then the package ("content"). */
  onBlob?: (desc: Descriptor, what: "meta" | "content" | "provenance") => void;
  /**
   * Called, before anything is stored, for each symbolic link that leads out of the chart (its
   * target is packed, as Helm does): its path as the user would name it, and where it resolves.
   */
  onOutsideLink?: (path: string, target: string) => void;
  /**
   * Signs the package as `helm package --sign` does: given the signed text (metadata, then the
   * package's checksum), returns the clearsigned `.prov`, stored as the provenance layer.
   */
  sign?: (message: string) => Promise<string>;
  /**
   * The creation time written into the manifest (default: `SOURCE_DATE_EPOCH` when set, so the
   * same directory gives the same manifest digest; else now).
   */
  now?: Date;
}

/** Packages the chart in `dir` into `cache` under `refInput` (tag defaults to the version). */
export async function saveChart(
  cache: Pusher & Tagger & Ingester & Holder,
  dir: string,
  refInput: string,
  options: SaveOptions = {},
): Promise<SaveResult> {
  const parsed = parseReference(refInput);
  if (parsed.digest) {
    throw new RefError(`cannot save to "${refInput}": a digest cannot be given, only a tag`);
  }
  const created = options.now ?? sourceDateEpoch() ?? new Date(); // checked before anything is stored
  const source = await loadChartDir(dir);
  for (const file of source.files) {
    if (file.linkedTo) options.onOutsideLink?.(file.path, file.linkedTo);
  }
  const { meta } = source;
  const ref = parsed.tag ? parsed : withTag(parsed, versionToTag(meta.version));
  // As helm package: every declared dependency must be in charts/ (see `dependency update`).
  const missing = await missingDependencies(source.dir, meta);
  if (missing.length) {
    const file = meta.apiVersion === "v1" ? "requirements.yaml" : "Chart.yaml";
    throw new ChartError(
      phrase`${source.dir}: found in ${file}, but missing in charts/ directory: ${
        missing.join(", ")
      } (run ${operation("updateDependencies")}, or save with ${option("dependencyUpdate")})`,
    );
  }

  // Blobs stored here stay (no collection elsewhere) until the reference points at them.
  await using _held = await cache.hold();
  const configBytes = encodeConfig(meta);
  const config: Descriptor = {
    mediaType: helmConfig,
    digest: await digestOf(configBytes),
    size: configBytes.byteLength,
  };
  await cache.push(config, ReadableStream.from([configBytes]));
  options.onBlob?.(config, "meta");
  const content = await cache.ingest(packChart(source), helmContent);
  options.onBlob?.(content, "content");
  let provenance: Descriptor | undefined;
  if (options.sign) {
    const message = provenanceMessage(
      JSON.parse(new TextDecoder().decode(configBytes)),
      archiveName(meta),
      content.digest,
    );
    const prov = new TextEncoder().encode(await options.sign(message));
    provenance = { mediaType: helmProvenance, digest: await digestOf(prov), size: prov.byteLength };
    await cache.push(provenance, ReadableStream.from([prov]));
    options.onBlob?.(provenance, "provenance");
  }

  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: ociManifest,
    config,
    layers: provenance ? [content, provenance] : [content],
    annotations: chartAnnotations(meta, created),
  };
  const bytes = encodeManifest(manifest);
  const desc = await manifestDescriptor(bytes);
  await cache.push(desc, ReadableStream.from([bytes]));
  await cache.tag(desc, formatReference(ref));
  return { ref, meta, config, content, provenance, manifest: desc };
}

/**
 * The time `SOURCE_DATE_EPOCH` (seconds since 1970, as reproducible builds define it) names, or
 * undefined when it is unset or empty; anything but a whole number of seconds is a `SettingError`.
 */
export function sourceDateEpoch(
  value: string | undefined = Deno.env.get("SOURCE_DATE_EPOCH"),
): Date | undefined {
  if (value === undefined || value === "") return undefined;
  if (!/^[0-9]{1,12}$/.test(value)) {
    throw new SettingError(
      `invalid SOURCE_DATE_EPOCH "${value}": must be a whole number of seconds since 1970`,
      { setting: "SOURCE_DATE_EPOCH", value },
    );
  }
  return new Date(Number(value) * 1000);
}

/** The manifest annotations Helm sets for a chart, keys sorted. */
export function chartAnnotations(meta: ChartMetadata, created: Date): Record<string, string> {
  const notes: Record<string, string> = {};
  const add = (key: string, value: string | undefined) => {
    if (value) notes[key] = value;
  };
  add(annotations.description, meta.description);
  add(annotations.title, meta.name);
  add(annotations.version, meta.version);
  add("org.opencontainers.image.url", meta.home);
  add(annotations.created, created.toISOString().replace(/\.\d+Z$/, "Z"));
  add("org.opencontainers.image.source", meta.sources?.[0]);
  add(
    "org.opencontainers.image.authors",
    meta.maintainers?.map((m) => (m.name ?? "") + (m.email ? ` (${m.email})` : "")).join(", "),
  );
  for (const [key, value] of Object.entries(meta.annotations ?? {})) {
    // As Helm: Chart.yaml annotations may set any key except the chart's title and version.
    if (key !== annotations.title && key !== annotations.version) add(key, value);
  }
  return Object.fromEntries(Object.entries(notes).sort(([a], [b]) => (a < b ? -1 : 1)));
}
