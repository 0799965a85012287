/**
 * A packaged chart on disk (`mychart-1.2.3.tgz`, Helm 3.8+'s `helm push` input), read for pushing
 * byte for byte: checked as a chart (safe entries, a top directory named after the chart, a valid
 * Chart.yaml) and offered to `copy` as a read-only Target holding one chart manifest, with the
 * archive as its content layer and `<archive>.prov`, when present, as its provenance layer.
 * @module
 */
import { hashingStream, streamOf, verifyingStream } from "../digest.ts";
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
import { type BytesFetcher, type Target, wholeBlobSize } from "../target.ts";
import { encodeConfig } from "./config.ts";
import { eachChartEntry } from "./extract.ts";
import { chartMetadata, type MetadataFile } from "./load.ts";
import type { ChartMetadata } from "./metadata.ts";
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
  /** The archive's bytes as read and checked, when it was small enough to hold (else the file is read again). */
  bytes?: Uint8Array;
}

/** The first bytes of the file at `path` (enough to tell gzip data). */
async function readHead(path: string): Promise<Uint8Array> {
  using file = await Deno.open(path);
  const head = new Uint8Array(2);
  return head.subarray(0, (await file.read(head)) ?? 0);
}

/** Hashes a file as it streams; its descriptor with `mediaType`. */
async function fileDescriptor(path: string, mediaType: string): Promise<Descriptor> {
  const { stream, measured } = hashingStream();
  const file = await Deno.open(path);
  await file.readable.pipeThrough(stream).pipeTo(new WritableStream());
  const { digest, size } = await measured;
  return { mediaType, digest, size };
}

/**
 * An archive up to this size is read once, into memory, and checked, hashed and pushed from
 * there; a larger one is read from the file for each (Helm's charts are a few KiB to a few MiB).
 */
const wholeArchive = 16 * 1024 * 1024;

/** Whether `bytes` start as gzip data does. */
function isGzip(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
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
    const bytes = info.size <= wholeArchive ? await Deno.readFile(path) : undefined;
    const head = bytes ?? await readHead(path);
    if (!isGzip(head)) throw new ChartError("not a packaged chart (.tgz): not gzip data");
    const texts = new Map<string, string>();
    const top = await eachChartEntry(
      bytes ?? (await Deno.open(path)).readable,
      {},
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
    const content = bytes
      ? { mediaType: helmContent, digest: await digestOf(bytes), size: bytes.byteLength }
      : await fileDescriptor(path, helmContent);
    const prov = `${path}.prov`;
    const signed = await Deno.stat(prov).then((i) => i.isFile, () => false);
    const provenance = signed ? await fileDescriptor(prov, helmProvenance) : undefined;
    return { path, meta, content, provenance, bytes };
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

/** One blob of an archive source: its descriptor, and its bytes or the file that holds them. */
type Blob = { desc: Descriptor; bytes: Uint8Array } | { desc: Descriptor; path: string };

/**
 * A chart archive as a read-only Target: one manifest (config from Chart.yaml, the archive as
 * content, Helm's annotations) under the chart version's tag. Build it with `archiveSource`.
 */
export class ArchiveSource implements Target, BytesFetcher {
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

  /** A blob's bytes, verified against `desc` (bytes in hand were hashed here to make it). */
  async fetch(desc: Descriptor): Promise<ReadableStream<Uint8Array>> {
    const blob = this.#blob(desc);
    if ("bytes" in blob) return streamOf(blob.bytes);
    return (await Deno.open(blob.path)).readable.pipeThrough(verifyingStream(desc));
  }

  /** A blob in hand up to `wholeBlobSize` (the config, the manifest, a small archive). */
  fetchBytes(desc: Descriptor): Promise<Uint8Array | undefined> {
    const blob = this.#blob(desc);
    const whole = "bytes" in blob && blob.bytes.byteLength <= wholeBlobSize;
    return Promise.resolve(whole ? blob.bytes : undefined);
  }

  #blob(desc: Descriptor): Blob {
    const blob = this.#blobs.get(desc.digest);
    if (!blob || blob.desc.size !== desc.size) {
      throw new ChartError(`the archive has no blob ${desc.digest}`);
    }
    return blob;
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
  const blobs: Blob[] = [
    { desc: config, bytes: configBytes },
    archive.bytes
      ? { desc: archive.content, bytes: archive.bytes }
      : { desc: archive.content, path: archive.path },
  ];
  if (archive.provenance) blobs.push({ desc: archive.provenance, path: `${archive.path}.prov` });
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: ociManifest,
    config,
    layers: blobs.slice(1).map((b) => b.desc),
    annotations: chartAnnotations(archive.meta, now),
  };
  const bytes = encodeManifest(manifest);
  const desc = await manifestDescriptor(bytes);
  blobs.push({ desc, bytes });
  return new ArchiveSource(versionToTag(archive.meta.version), desc, blobs);
}
