/**
 * Charts pushed straight into a registry repository through the transport (config, a tiny .tgz
 * content layer, a manifest with Helm's annotations), for tests that need many versions fast.
 * @module
 */
import { encodeConfig } from "../../core/chart/config.ts";
import type { ChartMetadata } from "../../core/chart/metadata.ts";
import { chartAnnotations } from "../../core/chart/save.ts";
import {
  type Descriptor,
  digestOf,
  encodeManifest,
  manifestDescriptor,
} from "../../core/oci/descriptor.ts";
import { helmConfig, helmContent, ociManifest } from "../../core/oci/media_types.ts";
import { versionToTag } from "../../core/ref.ts";
import type { Repository } from "../../core/transport/repository.ts";
import { fileEntry, tgz } from "./charts.ts";

/** Uploads `bytes` as a blob of `repo`; returns its descriptor. */
export async function pushBlob(
  repo: Repository,
  bytes: Uint8Array,
  mediaType: string,
): Promise<Descriptor> {
  const desc = { mediaType, digest: await digestOf(bytes), size: bytes.byteLength };
  await repo.push(desc, ReadableStream.from([bytes]));
  return desc;
}

/** Stores a manifest of `config` and `layers` under `tag`; returns its descriptor. */
export async function pushManifest(
  repo: Repository,
  config: Descriptor,
  layers: Descriptor[],
  tag: string,
  annotations?: Record<string, string>,
): Promise<Descriptor> {
  const bytes = encodeManifest({
    schemaVersion: 2,
    mediaType: ociManifest,
    config,
    layers,
    annotations,
  });
  const desc = await manifestDescriptor(bytes);
  await repo.pushReference(desc, ReadableStream.from([bytes]), tag);
  return desc;
}

/**
 * Pushes a chart `name` at `version` under `tag` (default: the version, `+` as `_`), created at
 * `created`; returns the manifest's descriptor.
 */
export async function pushChartVersion(
  repo: Repository,
  meta: Partial<ChartMetadata> & { name: string; version: string },
  options: { tag?: string; created?: Date } = {},
): Promise<Descriptor> {
  const full: ChartMetadata = { apiVersion: "v2", ...meta };
  const chartYaml = `apiVersion: v2\nname: ${meta.name}\nversion: ${meta.version}\n`;
  const config = await pushBlob(repo, encodeConfig(full), helmConfig);
  const content = await pushBlob(
    repo,
    await tgz([fileEntry(`${meta.name}/Chart.yaml`, chartYaml)]),
    helmContent,
  );
  const tag = options.tag ?? versionToTag(meta.version);
  const notes = chartAnnotations(full, options.created ?? new Date());
  return await pushManifest(repo, config, [content], tag, notes);
}

/** Pushes a manifest that is no chart (an OCI image config, no layers) under `tag`. */
export async function pushImage(repo: Repository, tag: string): Promise<Descriptor> {
  const config = await pushBlob(
    repo,
    new TextEncoder().encode("{}"),
    "application/vnd.oci.image.config.v1+json",
  );
  return await pushManifest(repo, config, [], tag);
}
