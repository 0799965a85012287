/**
 * The entries of a .tgz stream as `modern-tar`'s strict decoder reads them, each body a stream:
 * for reading a few files of a chart (`chart show`, a packaged subchart's Chart.yaml). Apart from
 * extract.ts, whose extraction reads plain entries itself and loads modern-tar only for others.
 * @module
 */
import { createTarDecoder, type ParsedTarEntry } from "modern-tar";
import { defaultMaxChartSize } from "./extract.ts";
import { gunzipReader, readerStream } from "./gunzip.ts";

/**
 * The entries of a .tgz stream, decompressed with the guards against gzip bombs (see
 * `gunzipReader`: gzip required, at most `maxSize` bytes decompressed), strict tar headers.
 */
export function tarEntries(
  archive: ReadableStream<Uint8Array>,
  maxSize: number = defaultMaxChartSize,
): ReadableStream<ParsedTarEntry> {
  return readerStream(gunzipReader(archive, maxSize)).pipeThrough(
    createTarDecoder({ strict: true }),
  );
}
