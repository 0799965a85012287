/** Writing a stream to a file in large writes: every byte in order, whatever the chunk sizes. */
import assert from "node:assert/strict";
import { writeStream } from "../../core/stream_file.ts";
import { tempDir } from "../helpers/charts.ts";

/** `total` bytes of a known pattern, cut into chunks of the given sizes in turn. */
function chunked(total: number, sizes: number[]): { bytes: Uint8Array; chunks: Uint8Array[] } {
  const bytes = new Uint8Array(total).map((_, i) => (i * 7 + (i >> 11)) & 255);
  const chunks: Uint8Array[] = [];
  for (let at = 0, k = 0; at < total; k++) {
    const size = Math.min(sizes[k % sizes.length], total - at);
    chunks.push(bytes.slice(at, at + size));
    at += size;
  }
  return { bytes, chunks };
}

Deno.test("small, odd and over-1-MiB chunks land in the file in order", async () => {
  await using tmp = await tempDir();
  const { bytes, chunks } = chunked(5 * 1024 * 1024 + 123, [65536, 1, 3 << 20, 777, 1 << 20]);
  const path = `${tmp.dir}/out`;
  await writeStream(
    await Deno.open(path, { write: true, create: true }),
    ReadableStream.from(chunks),
  );
  assert.deepEqual(await Deno.readFile(path), bytes);
});

Deno.test("an empty stream makes an empty file", async () => {
  await using tmp = await tempDir();
  const path = `${tmp.dir}/out`;
  await writeStream(await Deno.open(path, { write: true, create: true }), ReadableStream.from([]));
  assert.equal((await Deno.stat(path)).size, 0);
});

Deno.test("a stream that fails fails the write, and the file is closed", async () => {
  await using tmp = await tempDir();
  const path = `${tmp.dir}/out`;
  const file = await Deno.open(path, { write: true, create: true });
  const failing = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new Uint8Array(10));
      controller.error(new Error("connection reset"));
    },
  });
  await assert.rejects(writeStream(file, failing), /connection reset/);
  assert.throws(() => file.statSync(), Deno.errors.BadResource);
});
