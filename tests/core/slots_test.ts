/** `eachInSlots`: work run a few at a time, a piece letting its slot go early. */
import assert from "node:assert/strict";
import { eachInSlots } from "../../core/slots.ts";

/** Work that records how many pieces hold a slot at once; piece `i` releases early when `early(i)`. */
function tracked(early: (index: number) => boolean) {
  let holding = 0;
  const seen = { most: 0, started: [] as number[], ended: [] as number[] };
  const work = async (index: number, release: () => void) => {
    seen.started.push(index);
    holding++;
    seen.most = Math.max(seen.most, holding);
    await new Promise((resolve) => setTimeout(resolve, index % 3));
    let held = true;
    const letGo = () => {
      if (held) holding--;
      held = false;
      release();
    };
    if (early(index)) letGo();
    await new Promise((resolve) => setTimeout(resolve, 1));
    if (held) holding--;
    seen.ended.push(index);
  };
  return { work, seen };
}

Deno.test("eachInSlots: every index once, in order, never more than the slots holding", async () => {
  const { work, seen } = tracked(() => false);
  await eachInSlots(50, 4, work);
  assert.deepEqual(seen.started, Array.from({ length: 50 }, (_, i) => i));
  assert.equal(seen.ended.length, 50);
  assert.equal(seen.most, 4);
});

Deno.test("eachInSlots: a piece that lets its slot go lets the next start before it ends", async () => {
  const started: number[] = [];
  const { promise: gate, resolve: open } = Promise.withResolvers<void>();
  const run = eachInSlots(3, 1, async (index, release) => {
    started.push(index);
    if (index === 0) {
      release();
      release(); // twice is once
      await gate;
    }
  });
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.deepEqual(started, [0, 1, 2], "1 and 2 ran while 0 still waited");
  let settled = false;
  run.then(() => settled = true);
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(settled, false, "not settled before piece 0 ends");
  open();
  await run;
});

Deno.test("eachInSlots: the first error rejects it once every piece has ended", async () => {
  const ended: number[] = [];
  await assert.rejects(
    eachInSlots(6, 2, async (index) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      ended.push(index);
      if (index === 1 || index === 3) throw new Error(`piece ${index}`);
    }),
    /piece 1/,
  );
  assert.deepEqual(ended.toSorted(), [0, 1, 2, 3, 4, 5]);
});

Deno.test("eachInSlots: no pieces, and pieces that let go at once, thousands deep", async () => {
  await eachInSlots(0, 4, () => Promise.reject(new Error("never")));
  let runs = 0;
  await eachInSlots(20_000, 2, (_, release) => {
    release();
    runs++;
    return Promise.resolve();
  });
  assert.equal(runs, 20_000);
});

Deno.test("eachInSlots: allLetGo is called once, when every piece has let go (early or by ending)", async () => {
  const { promise: gate, resolve: open } = Promise.withResolvers<void>();
  let early = 0;
  let ended2 = false;
  const calls: { early: number; ended2: boolean }[] = [];
  // Were allLetGo never called, the pieces would wait for the gate: opened anyway after 5 s.
  const guard = setTimeout(open, 5000);
  await eachInSlots(5, 2, async (index, release) => {
    await new Promise((resolve) => setTimeout(resolve, index));
    if (index === 2) { // lets go by ending
      ended2 = true;
      return;
    }
    early++;
    release();
    await gate; // what is left waits for the others, as a batched tag does
  }, () => {
    calls.push({ early, ended2 });
    open();
  });
  clearTimeout(guard);
  assert.deepEqual(calls, [{ early: 4, ended2: true }]);
});

Deno.test("eachInSlots: a piece that steps aside lets the next start, but has not let go", async () => {
  const started: number[] = [];
  const { promise: gate, resolve: open } = Promise.withResolvers<void>();
  const letGo: number[] = [];
  let resumed = false;
  const run = eachInSlots(4, 1, async (index, release, stepAside) => {
    started.push(index);
    if (index === 0) {
      assert.equal(stepAside(), true);
      assert.equal(stepAside(), true, "twice is once");
      await gate; // waits for another piece's work, then has its own to do
      resumed = true;
      release();
    }
  }, () => letGo.push(started.length));
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.deepEqual(started, [0, 1, 2, 3], "1 to 3 ran in the slot 0 stepped out of");
  assert.deepEqual(letGo, [], "piece 0 has not let go: not all have");
  open();
  await run;
  assert.equal(resumed, true);
  assert.deepEqual(letGo, [4]);
});

Deno.test("eachInSlots: at most 2 pieces per slot stand aside; the next keeps its slot", async () => {
  const { promise: gate, resolve: open } = Promise.withResolvers<void>();
  const started: number[] = [];
  const aside: boolean[] = [];
  const run = eachInSlots(20, 2, async (index, release, stepAside) => {
    started.push(index);
    aside[index] = stepAside();
    await gate;
    release();
    release(); // a piece that stood aside starts no other piece when it lets go
  });
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.deepEqual(started, [0, 1, 2, 3, 4, 5], "4 aside and 2 in the slots");
  assert.deepEqual(aside, [true, true, true, true, false, false]);
  open();
  await run;
  assert.equal(started.length, 20);
  assert.deepEqual(aside.slice(6), Array(14).fill(true), "once they let go, others stand aside");
});
