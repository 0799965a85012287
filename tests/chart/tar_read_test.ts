/**
 * `tarStreamEntries` reads a tar stream as `modern-tar`'s strict decoder does: the same entries
 * (names, types, sizes, modes, bodies) or, for a damaged or cut archive, the same error (after
 * the same entries, as many as were handed over before it). Archives of
 * plain ustar entries, long and non-ASCII names (ustar prefix, pax records), directories, empty
 * and large bodies, some ending in more zero bytes (as `tar` pads to its record size) or in other
 * bytes, some with bytes changed or cut short, each in chunks of random sizes.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { createTarDecoder, packTar, type TarEntry as PackEntry } from "modern-tar";
import { tarStreamEntries } from "../../core/chart/tar_read.ts";

/** What an entry came out as: its header's fields that extraction reads, and its body. */
type Seen = { name: string; type?: string; size: number; mode?: number; body: number[] };

/** The entries `read` gives, or the error it throws (as "error"). */
async function outcome(read: () => AsyncIterable<{ header: PackEntry["header"]; body: unknown }>) {
  const seen: Seen[] = [];
  try {
    for await (const { header, body } of read()) {
      const bytes = body instanceof Uint8Array
        ? body.slice()
        : new Uint8Array(await new Response(body as ReadableStream<Uint8Array>).arrayBuffer());
      const { name, type, size, mode } = header;
      seen.push({ name, type, size, mode, body: [...bytes] });
    }
  } catch (error) {
    return { seen, error: (error as Error).message };
  }
  return { seen, error: undefined };
}

/** The entries of `tarStreamEntries`, one by one. */
async function* entriesOf(tar: ReadableStream<Uint8Array>) {
  for await (const batch of tarStreamEntries(tar.getReader())) yield* batch;
}

/** `bytes` as a stream of chunks cut at `cuts` (fractions of its length). */
function chunked(bytes: Uint8Array, cuts: number[]): ReadableStream<Uint8Array> {
  const at = [...new Set(cuts.map((c) => Math.floor(c * bytes.byteLength)))].sort((a, b) => a - b);
  const pieces = [0, ...at, bytes.byteLength].map((end, i, all) =>
    bytes.slice(i === 0 ? 0 : all[i - 1], end)
  ).slice(1);
  return ReadableStream.from(pieces);
}

const segment = fc.oneof(
  fc.stringMatching(/^[a-z0-9._-]{1,12}$/),
  fc.stringMatching(/^[a-z]{60,120}$/), // long: ustar prefix or pax
  fc.constantFrom("données", "配置", "a b"),
);
const entry = fc.record({
  path: fc.array(segment, { minLength: 1, maxLength: 4 }).map((p) => `mychart/${p.join("/")}`),
  dir: fc.boolean(),
  size: fc.oneof(
    { weight: 8, arbitrary: fc.nat(2000) },
    { weight: 1, arbitrary: fc.constantFrom(0, 512, 256 * 1024, 256 * 1024 + 1, 300_000) },
  ),
  mode: fc.constantFrom(0o644, 0o755, 0o600),
});
/** What follows the archive's end: zero bytes (a record's padding), or zeros and then a byte. */
const tail = fc.option(
  fc.record({ zeros: fc.nat(10240), then: fc.option(fc.integer({ min: 1, max: 255 })) }),
  { freq: 2 },
);
const damage = fc.option(
  fc.oneof(
    fc.record({ flip: fc.double({ min: 0, max: 1, noNaN: true }), to: fc.nat(255) }),
    fc.record({ cut: fc.double({ min: 0, max: 1, noNaN: true }) }),
  ),
  { freq: 3 },
);

Deno.test("tar entries are read as modern-tar's strict decoder reads them, damaged archives too", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(entry, { minLength: 1, maxLength: 12 }),
      tail,
      damage,
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }),
      async (entries, after, harm, cuts) => {
        let bytes = await packTar(
          entries.map((e, i): PackEntry =>
            e.dir ? { header: { name: `${e.path}/`, type: "directory", size: 0, mode: 0o755 } } : {
              header: { name: e.path, type: "file", size: e.size, mode: e.mode },
              body: new Uint8Array(e.size).fill(i + 1),
            }
          ),
        );
        if (after) {
          const extra = new Uint8Array(after.zeros + (after.then ? 1 : 0));
          if (after.then) extra[after.zeros] = after.then;
          bytes = new Uint8Array([...bytes, ...extra]);
        }
        if (harm && "flip" in harm) {
          bytes = bytes.slice();
          bytes[Math.min(bytes.byteLength - 1, Math.floor(harm.flip * bytes.byteLength))] = harm.to;
        } else if (harm) bytes = bytes.slice(0, Math.floor(harm.cut * bytes.byteLength));
        const expected = await outcome(() =>
          chunked(bytes, cuts).pipeThrough(createTarDecoder({ strict: true }))
        );
        const actual = await outcome(() => entriesOf(chunked(bytes, cuts)));
        assert.equal(actual.error, expected.error);
        if (expected.error === undefined) assert.deepEqual(actual.seen, expected.seen);
        else {
          // On an error, modern-tar drops the entries it had queued and not handed over yet: how
          // many depends on where the chunks it was given end. Before it, the same entries.
          const n = Math.min(actual.seen.length, expected.seen.length);
          assert.deepEqual(actual.seen.slice(0, n), expected.seen.slice(0, n));
        }
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("a reader that stops early lets the source go, before and after modern-tar takes over", async () => {
  for (const first of ["mychart/a", `mychart/${"x".repeat(120)}`]) { // plain, then pax
    const bytes = await packTar([
      { header: { name: first, type: "file", size: 1 }, body: "a" },
      { header: { name: "mychart/b", type: "file", size: 1 }, body: "b" },
    ]);
    let cancelled = false;
    const source = new ReadableStream<Uint8Array>({
      start: (controller) => controller.enqueue(bytes.subarray(0, bytes.byteLength - 1024)),
      cancel: () => {
        cancelled = true;
      },
    });
    for await (const [entry] of tarStreamEntries(source.getReader())) {
      assert.equal(entry.header.name, first);
      break;
    }
    assert.equal(cancelled, true, first);
  }
});

Deno.test("plain entries that arrive together come in one batch; modern-tar's one at a time", async () => {
  const names = (batches: { header: { name: string } }[][]) =>
    batches.map((batch) => batch.map((e) => e.header.name));
  const read = async (bytes: Uint8Array) => {
    const batches = [];
    const tar = ReadableStream.from([bytes]).getReader();
    for await (const batch of tarStreamEntries(tar)) batches.push(batch);
    return names(batches);
  };
  const file = (name: string) => ({ header: { name, type: "file" as const, size: 1 }, body: "a" });
  const long = `mychart/${"x".repeat(120)}`; // pax records: modern-tar reads it and what follows
  assert.deepEqual(await read(await packTar(["a", "b", "c"].map((n) => file(`mychart/${n}`)))), [
    ["mychart/a", "mychart/b", "mychart/c"],
  ]);
  assert.deepEqual(
    await read(
      await packTar([file("mychart/a"), file("mychart/b"), file(long), file("mychart/c")]),
    ),
    [["mychart/a", "mychart/b"], [long], ["mychart/c"]],
  );
});
