/**
 * The index as a layout keeps it in memory (`IndexItem`: parsed until written, then only its
 * text) and how tags are put in order: the entries written, read back and looked up are the
 * same as when every entry was kept parsed and the whole list sorted after each change.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { IndexItem, indexText, withRefs } from "../../core/cache/_index.ts";
import type { Descriptor } from "../../core/oci/descriptor.ts";
import { annotations } from "../../core/oci/media_types.ts";
import { storeChart, tempLayout } from "../helpers/layouts.ts";

function entry(ref: string | undefined, n: number): Descriptor {
  return {
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    digest: `sha256:${n.toString(16).padStart(64, "0")}`,
    size: n,
    ...(ref === undefined ? {} : { annotations: { [annotations.refName]: ref } }),
  };
}

/** The order index.json always had: by repository, then tag, as plain string comparison. */
function sortedTheOldWay(descs: Descriptor[]): Descriptor[] {
  const parts = (d: Descriptor) => {
    const ref = d.annotations?.[annotations.refName] ?? "";
    const colon = ref.lastIndexOf(":");
    return colon > ref.lastIndexOf("/") ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, ""];
  };
  const compare = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return descs.sort((a, b) => {
    const [x, y] = [parts(a), parts(b)];
    return compare(x[0], y[0]) || compare(x[1], y[1]);
  });
}

const refArb = fc.oneof(
  fc.constantFrom("r.example/a", "r.example/a/b", "r.example:5000/a", "r.example/a-b", "x"),
  fc.string({ maxLength: 6 }),
).chain((repo) =>
  fc.option(fc.constantFrom("1", "1.0", "10", "2", "a", "", "é", "😀"), { nil: undefined })
    .map((tag) => (tag === undefined ? repo : `${repo}:${tag}`))
);

Deno.test("tags written in batches are in index.json's order, kept in order or not before", () => {
  fc.assert(
    fc.property(
      fc.array(fc.option(refArb, { nil: undefined, freq: 8 }), { maxLength: 30 }),
      fc.array(refArb, { maxLength: 10 }),
      fc.array(refArb, { maxLength: 10 }),
      fc.boolean(),
      (before, tagged, taggedNext, ordered) => {
        const old = before.map((ref, i) => entry(ref, i));
        if (ordered) sortedTheOldWay(old);
        const batch = new Map(tagged.map((ref, i) => [ref, entry(ref, 1000 + i)]));
        const items = withRefs(old.map((d) => new IndexItem(d)), batch);
        const expected = sortedTheOldWay([
          ...old.filter((d) => !batch.has(d.annotations?.[annotations.refName] ?? "")),
          ...batch.values(),
        ]);
        assert.deepEqual(items.map((item) => item.value()), expected);
        // The next batch goes into the list the first one made (known to be in order).
        const next = new Map(taggedNext.map((ref, i) => [ref, entry(ref, 2000 + i)]));
        assert.deepEqual(
          withRefs(items, next).map((item) => item.value()),
          sortedTheOldWay([
            ...expected.filter((d) => !next.has(d.annotations?.[annotations.refName] ?? "")),
            ...next.values(),
          ]),
        );
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("an entry once written is kept as its bytes, and parsed again the same", () => {
  const desc = entry("r.example/a:1", 7);
  desc.annotations!.note = 'line\nbreak "quoted" ü';
  const item = new IndexItem(desc);
  assert.equal(item.value(), desc); // the parsed entry itself, until written
  const text = new TextDecoder().decode(item.bytes());
  assert.equal(indexText({ schemaVersion: 2, manifests: [desc] }).includes(text), true);
  assert.notEqual(item.value(), desc); // from now on parsed from its text
  assert.deepEqual(item.value(), desc);
  assert.equal(item.ref, "r.example/a:1");
  assert.equal(item.digest, desc.digest);
  assert.equal(new IndexItem("odd").ref, undefined);
  assert.equal(new TextDecoder().decode(new IndexItem(null).bytes()), "null");
});

Deno.test("a layout's lookups, untag and delete after many batched tags", async () => {
  await using t = await tempLayout();
  const { desc: a } = await storeChart(t.layout, "a", "1.0.0", "aaaa");
  const { desc: b } = await storeChart(t.layout, "b", "1.0.0", "bbbb");
  const refs = Array.from({ length: 50 }, (_, i) => `r.example/many/c${i % 7}:1.${i}.0`);
  await Promise.all(refs.map((ref, i) => t.layout.tag(i % 2 ? a : b, ref, { queued() {} })));
  const listed = (await t.layout.entries()).map((e) => e.ref);
  assert.deepEqual(
    listed,
    sortedTheOldWay(refs.map((ref, i) => entry(ref, i))).map((d) =>
      d.annotations![annotations.refName]
    ),
  );
  assert.equal((await t.layout.resolve(refs[3])).digest, a.digest);
  assert.equal((await t.layout.resolve(a.digest)).digest, a.digest);
  assert.equal((await t.layout.resolve(`r.example/many/c0@${b.digest}`)).digest, b.digest);
  const removed = await t.layout.untag(refs[3]);
  assert.equal(removed.digest, a.digest);
  assert.equal(removed.annotations?.[annotations.refName], refs[3]);
  await assert.rejects(t.layout.untag(refs[3]), /not found/);
  await t.layout.delete(a);
  assert.deepEqual(
    (await t.layout.entries()).map((e) => e.desc.digest),
    Array(25).fill(b.digest),
  );
  // what another process reads is what this one kept
  const text = await Deno.readTextFile(`${t.dir}/index.json`);
  assert.equal(text, JSON.stringify(JSON.parse(text), null, 2) + "\n");
  assert.equal(JSON.parse(text).manifests.length, 25);
});
