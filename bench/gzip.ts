/**
 * `deno run -A bench/gzip.ts [MiB]`: the gzip choices for packaging, measured on chart-like text
 * (the save case's data, 64 MiB by default): the web-standard `CompressionStream` against
 * `node:zlib` streams at levels 1, 6 and 9, and GNU gzip for reference. Prints time, throughput and
 * compressed size of each (median of 3, in this process, so no start-up is counted).
 * @module
 */
import { Readable } from "node:stream";
import { constants, createGzip } from "node:zlib";
import { chartText } from "./_fixtures.ts";
import { median, runOnce } from "./_measure.ts";

/** One way to gzip a stream. */
interface Gzipper {
  name: string;
  gzip: (input: ReadableStream<Uint8Array<ArrayBuffer>>) => ReadableStream<Uint8Array>;
}

function nodeGzip(level: number): Gzipper {
  return {
    name: `node:zlib level ${level}`,
    gzip: (input) => {
      const gzip = createGzip({ level, chunkSize: 64 * 1024 });
      Readable.fromWeb(input as Parameters<typeof Readable.fromWeb>[0]).pipe(gzip);
      return Readable.toWeb(gzip) as ReadableStream<Uint8Array>;
    },
  };
}

const gzippers: Gzipper[] = [
  { name: "CompressionStream", gzip: (input) => input.pipeThrough(new CompressionStream("gzip")) },
  ...[constants.Z_BEST_SPEED, 2, 3, 4, 6, constants.Z_BEST_COMPRESSION].map(nodeGzip),
];

/** The data as 64 KiB chunks, as a file stream delivers them. */
function chunked(data: Uint8Array<ArrayBuffer>): ReadableStream<Uint8Array<ArrayBuffer>> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= data.byteLength) return controller.close();
      controller.enqueue(data.subarray(offset, offset + 65536));
      offset += 65536;
    },
  });
}

async function measure(
  gzipper: Gzipper,
  data: Uint8Array<ArrayBuffer>,
): Promise<{ ms: number; size: number }> {
  const times: number[] = [];
  let size = 0;
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    size = 0;
    for await (const chunk of gzipper.gzip(chunked(data))) size += chunk.byteLength;
    times.push(performance.now() - start);
  }
  return { ms: median(times), size };
}

if (import.meta.main) {
  const mib = Number(Deno.args[0] ?? 64);
  const files: string[] = [];
  for (let i = 0; i < mib; i++) files.push(chartText(1 << 20, i + 1));
  const data = new TextEncoder().encode(files.join(""));
  const rows = [["gzip", "time", "MiB/s", "compressed", "ratio"]];
  const row = (name: string, ms: number, size: number) =>
    rows.push([
      name,
      `${Math.round(ms)} ms`,
      `${Math.round(mib / (ms / 1000))}`,
      `${(size / 2 ** 20).toFixed(1)} MiB`,
      `${(data.byteLength / size).toFixed(2)}`,
    ]);
  for (const gzipper of gzippers) {
    const { ms, size } = await measure(gzipper, data);
    row(gzipper.name, ms, size);
  }
  const file = await Deno.makeTempFile({ prefix: "h3-gzip-" });
  try {
    await Deno.writeFile(file, data);
    for (const level of [1, 6]) {
      const samples = [];
      for (let i = 0; i < 3; i++) {
        samples.push(
          await runOnce({ argv: ["sh", "-c", `gzip -${level} -c ${file} > ${file}.gz`] }),
        );
      }
      row(
        `GNU gzip -${level} (process)`,
        median(samples.map((s) => s.ms)),
        (await Deno.stat(`${file}.gz`)).size,
      );
    }
  } finally {
    await Deno.remove(file).catch(() => {});
    await Deno.remove(`${file}.gz`).catch(() => {});
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) {
    console.log(r.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd());
  }
}
