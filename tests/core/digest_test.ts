/**
 * Hashing streams: small content is hashed in one call at its end (`digestOf`: Web Crypto for a
 * process's first buffers, JavaScript for the later small ones), larger content streams through
 * node:crypto from the point it passes 1 MiB; the digest is the same either way, and a verifying
 * stream refuses content that differs from its descriptor on either side of that size.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  hashingStream,
  readAll,
  sizedReader,
  streamOf,
  verifyingStream,
} from "../../core/digest.ts";
import { DigestError } from "../../core/errors.ts";
import { digestOf } from "../../core/oci/descriptor.ts";

const MiB = 1 << 20;

/** `size` bytes of a repeating pattern, in pieces of `piece` bytes. */
function content(size: number, piece: number): Uint8Array[] {
  const bytes = Uint8Array.from({ length: size }, (_, i) => (i * 31 + (i >> 10)) & 0xff);
  const pieces = [];
  for (let at = 0; at < size; at += piece) pieces.push(bytes.slice(at, at + piece));
  return pieces;
}

function sha256(pieces: Uint8Array[]): string {
  const hash = createHash("sha256");
  for (const piece of pieces) hash.update(piece);
  return "sha256:" + hash.digest("hex");
}

const sizes = [0, 1, 4096, MiB - 1, MiB, MiB + 1, 3 * MiB + 77];

Deno.test("digestOf: the same sha256 for the first buffers (Web Crypto) and the many after them (JavaScript)", async () => {
  // a process's first 64 go to Web Crypto, later ones up to 16 KiB are hashed in JavaScript
  const lengths = [0, 1, 55, 56, 63, 64, 65, 1000, 16 * 1024, 16 * 1024 + 1, 100_000];
  for (let i = 0; i < 200; i++) {
    const [bytes] = content(lengths[i % lengths.length] + (i >> 4), MiB);
    assert.equal(
      await digestOf(bytes ?? new Uint8Array()),
      sha256(bytes ? [bytes] : []),
      `buffer ${i}`,
    );
  }
});

Deno.test("hashingStream: the sha256 and size of what passes, below and above 1 MiB", async () => {
  for (const size of sizes) {
    for (const piece of [1000, 64 * 1024, MiB]) {
      const pieces = content(size, piece);
      const { stream, measured } = hashingStream();
      const passed = await new Response(ReadableStream.from(pieces).pipeThrough(stream))
        .arrayBuffer();
      assert.equal(passed.byteLength, size);
      assert.deepEqual(await measured, { digest: sha256(pieces), size }, `${size}/${piece}`);
    }
  }
});

Deno.test("verifyingStream: passes matching content, refuses a changed byte at any size", async () => {
  for (const size of sizes.filter((s) => s > 0)) {
    const pieces = content(size, 64 * 1024);
    const desc = { mediaType: "application/octet-stream", digest: sha256(pieces), size };
    const read = (parts: Uint8Array[]) =>
      new Response(ReadableStream.from(parts).pipeThrough(verifyingStream(desc))).arrayBuffer();
    assert.equal((await read(pieces)).byteLength, size);
    const changed = pieces.map((p) => p.slice());
    changed[changed.length - 1][0] ^= 1;
    await assert.rejects(
      read(changed),
      (e) => e instanceof DigestError && /digest mismatch/.test(e.message),
    );
  }
});

Deno.test("readAll of streamOf's stream takes the bytes in hand, within the limit; read ones are read", async () => {
  const bytes = new TextEncoder().encode("a small blob read whole");
  assert.equal(await readAll(streamOf(bytes), 100), bytes); // the very bytes, not a copy
  await assert.rejects(readAll(streamOf(bytes), 5), DigestError);
  // A stream something read from gives what is left, as any stream does.
  const stream = streamOf(bytes);
  const reader = stream.getReader();
  assert.deepEqual((await reader.read()).value, bytes);
  reader.releaseLock();
  assert.deepEqual(await readAll(stream, 100), new Uint8Array());
  // Read as a stream (a registry upload, a verifying pipe), it is the bytes.
  assert.deepEqual(new Uint8Array(await new Response(streamOf(bytes)).arrayBuffer()), bytes);
});

Deno.test("a fetch body announced small is read into buffers of its size, its bytes whole; a longer one refused", async () => {
  const body = Uint8Array.from({ length: 8000 }, (_, i) => i & 0xff);
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response(body),
  );
  const url = `http://127.0.0.1:${server.addr.port}/`;
  const reader = sizedReader((await fetch(url)).body!, body.byteLength);
  const chunks: Uint8Array[] = [];
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    chunks.push(read.value);
  }
  // A default reader gives each chunk of a fetch body a 64 KiB buffer of its own.
  assert.ok(chunks.every((chunk) => chunk.buffer.byteLength <= body.byteLength + 1));
  assert.deepEqual(chunks.flatMap((chunk) => [...chunk]), [...body]);
  assert.deepEqual(await readAll((await fetch(url)).body!, 8000, 8000), body);
  await assert.rejects(readAll((await fetch(url)).body!, 7999, 7000), DigestError);
  // Not a byte stream: its own chunks.
  assert.deepEqual(await readAll(ReadableStream.from([body]), 8000, 8000), body);
});
