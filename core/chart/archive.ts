/**
 * A packaged chart on disk (`mychart-1.2.3.tgz`, Helm 3.8+'s `helm push` input), read for pushing
 * byte for byte: checked as a chart (safe entries, a top directory named after the chart, a valid
 * Chart.yaml) and offered to `copy` as a read-only Target holding one chart manifest, with the
 * archive as its content layer and `<archive>.prov`, when present, as its provenance layer.
 * @module
 */
import { createTarDecoder } from "modern-tar";
import { hashingStream, verifyingStream } from "../digest.ts";
import { ChartError, H3Error } from "../errors.ts";
import {
  type Descriptor,
  digestOf,
  encodeManifest,
  type Manifest,
  manifestDescriptor,
} from "../oci/descriptor.ts";
import { helmConfig, helmContent, helmProvenance, ociManifest } from "../oci/media_types.ts";
import { versionToTag } from "../ref.ts";
import type { Target } from "../target.ts";
import { encodeConfig } from "./config.ts";
import { eachChartEntry } from "./extract.ts";
import { chartMetadata, type MetadataFile } from "./load.ts";
import { type ChartMetadata, isValidChartName } from "./metadata.ts";
import { chartAnnotations, sourceDateEpoch } from "./save.ts";

/** A checked chart archive. */
export interface ChartArchive {
  /** The archive's path. */
  path: string;
  /** Its Chart.yaml, validated. */
  meta: ChartMetadata;
  /** The archive as a content layer. */
  content: Descriptor;
  /** `<path>.prov` as a provenance layer, when that file exists. */
  provenance?: Descriptor;
}

/** Hashes a file as it streams; its descriptor with `mediaType`. */
async function fileDescriptor(path: string, mediaType: string): Promise<Descriptor> {
  const { stream, measured } = hashingStream();
  const file = await Deno.open(path);
  await file.readable.pipeThrough(stream).pipeTo(new WritableStream());
  const { digest, size } = await measured;
  return { mediaType, digest, size };
}

/** The first path component of the archive's first entry: the chart's top directory. */
async function topDirectory(path: string): Promise<string> {
  const file = await Deno.open(path);
  const gunzip = new DecompressionStream("gzip") as unknown as TransformStream<
    Uint8Array,
    Uint8Array
  >;
  try {
    for await (const entry of file.readable.pipeThrough(gunzip).pipeThrough(createTarDecoder())) {
      await entry.body.cancel();
      return entry.header.name.split("/").find((part) => part !== "" && part !== ".") ?? "";
    }
  } catch (error) {
    throw new ChartError(`not a packaged chart (.tgz): ${(error as Error).message}`);
  }
  throw new ChartError("not a packaged chart (.tgz): the archive is empty");
}

/**
 * Reads and checks a chart archive: every entry safe and under one top directory named after the
 * chart, Chart.yaml valid and values.yaml readable, as Helm's loader checks an archive (in memory:
 * nothing is extracted). Errors are `ChartError`s naming the file.
 */
export async function readChartArchive(path: string): Promise<ChartArchive> {
  const info = await Deno.stat(path).catch(() => undefined);
  if (!info?.isFile) throw new ChartError(`${path}: no such file`);
  try {
    const top = await topDirectory(path);
    if (!isValidChartName(top)) throw new ChartError(`invalid chart name "${top}"`);
    const texts = new Map<string, string>();
    await eachChartEntry(
      (await Deno.open(path)).readable,
      { name: top },
      ({ rel, header, body }) => {
        if (header.type !== "file" || !metadataFiles.has(rel)) {
          if (body instanceof ReadableStream) return body.cancel();
          return;
        }
        if (body instanceof Uint8Array) texts.set(rel, decoder.decode(body));
        else return new Response(body).text().then((text) => void texts.set(rel, text));
      },
    );
    const meta = await chartMetadata((name) => texts.get(name), (name) => `${top}/${name}`);
    if (meta.name !== top) {
      throw new ChartError(
        `its top directory "${top}/" is not named after the chart "${meta.name}"`,
      );
    }
    const content = await fileDescriptor(path, helmContent);
    const prov = `${path}.prov`;
    const signed = await Deno.stat(prov).then((i) => i.isFile, () => false);
    const provenance = signed ? await fileDescriptor(prov, helmProvenance) : undefined;
    return { path, meta, content, provenance };
  } catch (error) {
    if (error instanceof H3Error && !error.message.startsWith(path)) {
      error.message = `${path}: ${error.message}`;
    }
    throw error;
  }
}

/** The files of an archive that its checks read (see `chartMetadata`). */
const metadataFiles: ReadonlySet<string> = new Set<MetadataFile>([
  "Chart.yaml",
  "requirements.yaml",
  "values.yaml",
]);

const decoder = new TextDecoder();

/** One blob of an archive source: its descriptor and how to read it. */
interface Blob {
  desc: Descriptor;
  open: () => Promise<ReadableStream<Uint8Array>>;
}

/**
 * A chart archive as a read-only Target: one manifest (config from Chart.yaml, the archive as
 * content, Helm's annotations) under the chart version's tag. Build it with `archiveSource`.
 */
export class ArchiveSource implements Target {
  /** The tag the manifest is under: the chart version, `+` spelled `_`. */
  readonly chartTag: string;
  /** The manifest's descriptor. */
  readonly manifest: Descriptor;
  #blobs: Map<string, Blob>;

  /** A source holding `blobs`, with `manifest` (one of them) under `tag`. */
  constructor(tag: string, manifest: Descriptor, blobs: Blob[]) {
    this.chartTag = tag;
    this.manifest = manifest;
    this.#blobs = new Map(blobs.map((b) => [b.desc.digest, b]));
  }

  /** The manifest, by the tag or its digest. */
  resolve(reference: string): Promise<Descriptor> {
    if (reference === this.chartTag || reference === this.manifest.digest) {
      return Promise.resolve(this.manifest);
    }
    return Promise.reject(new ChartError(`the archive holds ${this.chartTag}, not "${reference}"`));
  }

  /** A blob's bytes, verified against `desc`. */
  async fetch(desc: Descriptor): Promise<ReadableStream<Uint8Array>> {
    const blob = this.#blobs.get(desc.digest);
    if (!blob) throw new ChartError(`the archive has no blob ${desc.digest}`);
    return (await blob.open()).pipeThrough(verifyingStream(desc));
  }

  /** Whether the source holds the blob. */
  exists(desc: Descriptor): Promise<boolean> {
    return Promise.resolve(this.#blobs.has(desc.digest));
  }

  /** Its one tag. */
  async *tags(): AsyncIterable<string> {
    yield this.chartTag;
  }

  /** Refused: the source is read-only. */
  push(): Promise<void> {
    return Promise.reject(new H3Error("a chart archive source is read-only"));
  }

  /** Refused: the source is read-only. */
  tag(): Promise<void> {
    return this.push();
  }

  /** Refused: the source is read-only. */
  delete(): Promise<void> {
    return this.push();
  }
}

/**
 * The manifest and blobs that push `archive` as a chart, created at `now` (default:
 * `SOURCE_DATE_EPOCH` when set, as `chart save` does, else the current time).
 */
export async function archiveSource(
  archive: ChartArchive,
  now: Date = sourceDateEpoch() ?? new Date(),
): Promise<ArchiveSource> {
  const configBytes = encodeConfig(archive.meta);
  const config: Descriptor = {
    mediaType: helmConfig,
    digest: await digestOf(configBytes),
    size: configBytes.byteLength,
  };
  const fromFile = (path: string) => async () => (await Deno.open(path)).readable;
  const blobs: Blob[] = [
    { desc: config, open: () => Promise.resolve(ReadableStream.from([configBytes])) },
    { desc: archive.content, open: fromFile(archive.path) },
  ];
  if (archive.provenance) {
    blobs.push({ desc: archive.provenance, open: fromFile(`${archive.path}.prov`) });
  }
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: ociManifest,
    config,
    layers: blobs.slice(1).map((b) => b.desc),
    annotations: chartAnnotations(archive.meta, now),
  };
  const bytes = encodeManifest(manifest);
  const desc = await manifestDescriptor(bytes);
  blobs.push({ desc, open: () => Promise.resolve(ReadableStream.from([bytes])) });
  return new ArchiveSource(versionToTag(archive.meta.version), desc, blobs);
}
