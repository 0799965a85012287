/**
 * The one rename rule (core/write_file.ts): files and folders reach their place by a rename from a
 * temp name, a failed move leaves no temp behind, and a folder being replaced is never lost.
 */
import assert from "node:assert/strict";
import {
  moveIntoPlace,
  replaceDir,
  replaceFile,
  tempBeside,
  writeTemp,
  writeTempSync,
} from "../../core/write_file.ts";
import { onInterrupt, runInterrupts } from "../../core/interrupt.ts";
import { dirNames } from "../helpers/files.ts";

Deno.test("replaceFile replaces a file through a temp file and leaves no temp", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/a.json`, "old");
    await replaceFile(`${dir}/a.json`, "new", { mode: 0o600 });
    assert.equal(await Deno.readTextFile(`${dir}/a.json`), "new");
    assert.equal((await Deno.stat(`${dir}/a.json`)).mode! & 0o777, 0o600);
    await assert.rejects(replaceFile(`${dir}/missing/a.json`, "x"), Deno.errors.NotFound);
    assert.deepEqual(await dirNames(dir), ["a.json"]);
    assert.match(tempBeside(`${dir}/a.json`), /\/a\.json\.\d+-[0-9a-f-]{36}\.tmp$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("replaceFile writes chunks given one at a time, each before the next is made", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const buffer = new Uint8Array(4);
    const chunks = function* () { // every chunk in one buffer, as the cache's index.json is written
      for (const text of ["abcd", "efgh", "ij"]) {
        const { written } = new TextEncoder().encodeInto(text, buffer);
        yield buffer.subarray(0, written);
      }
    };
    await replaceFile(`${dir}/a.txt`, { chunks: chunks() });
    assert.equal(await Deno.readTextFile(`${dir}/a.txt`), "abcdefghij");
    const failing = function* () {
      yield new TextEncoder().encode("half");
      throw new Error("no more");
    };
    await assert.rejects(replaceFile(`${dir}/b.txt`, { chunks: failing() }), /no more/);
    assert.deepEqual(await dirNames(dir), ["a.txt"]); // nothing half-written left
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("moveIntoPlace removes the temp file or folder when the rename fails", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/work`);
    await Deno.writeTextFile(`${dir}/work/f`, "x");
    await assert.rejects(moveIntoPlace(`${dir}/work`, `${dir}/no/such/place`));
    assert.deepEqual(await dirNames(dir), []);
    await Deno.writeTextFile(`${dir}/t`, "blob");
    await moveIntoPlace(`${dir}/t`, () => Promise.resolve(`${dir}/named`));
    assert.deepEqual(await dirNames(dir), ["named"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("replaceDir sets the old folder aside and puts it back when the new one cannot go in", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/tmp`);
    await Deno.mkdir(`${dir}/tmp/work`);
    await Deno.writeTextFile(`${dir}/tmp/work/new`, "");
    await replaceDir(`${dir}/tmp/work`, `${dir}/chart`, `${dir}/tmp/aside`); // nothing there yet
    assert.deepEqual(await dirNames(`${dir}/chart`), ["new"]);

    await Deno.mkdir(`${dir}/tmp/work2`);
    await Deno.writeTextFile(`${dir}/tmp/work2/newer`, "");
    await replaceDir(`${dir}/tmp/work2`, `${dir}/chart`, `${dir}/tmp/aside`);
    assert.deepEqual(await dirNames(`${dir}/chart`), ["newer"]);
    assert.deepEqual(await dirNames(`${dir}/tmp/aside`), ["new"]); // the caller's cleanup removes it

    // work is gone: the rename fails, and the chart folder is put back as it was
    await assert.rejects(replaceDir(`${dir}/tmp/gone`, `${dir}/chart`, `${dir}/tmp/aside2`));
    assert.deepEqual(await dirNames(`${dir}/chart`), ["newer"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeTempSync writes a new file only, and leaves nothing when it cannot", async () => {
  const { writeTempSync } = await import("../../core/write_file.ts");
  const dir = await Deno.makeTempDir();
  try {
    writeTempSync(`${dir}/t`, new Uint8Array([1, 2, 3]));
    assert.deepEqual(await Deno.readFile(`${dir}/t`), new Uint8Array([1, 2, 3]));
    assert.throws(() => writeTempSync(`${dir}/t`, new Uint8Array([9])), Deno.errors.AlreadyExists);
    assert.deepEqual(await Deno.readFile(`${dir}/t`), new Uint8Array([1, 2, 3]), "not overwritten");
    assert.throws(() => writeTempSync(`${dir}/none/t`, new Uint8Array([9])), Deno.errors.NotFound);
    assert.deepEqual(await dirNames(dir), ["t"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("while an interrupt's cleanups run, no temp file is started; afterwards writes work", async () => {
  const dir = await Deno.makeTempDir();
  try {
    let release = () => {};
    const held = new Promise<void>((resolve) => release = resolve);
    let cleanupStarted = () => {};
    const started = new Promise<void>((resolve) => cleanupStarted = resolve);
    onInterrupt(() => {
      cleanupStarted();
      return held;
    });
    const cleanups = runInterrupts();
    await started;
    await assert.rejects(writeTemp(`${dir}/a`, "x"), Deno.errors.Interrupted);
    assert.throws(() => writeTempSync(`${dir}/b`, new Uint8Array(1)), Deno.errors.Interrupted);
    await assert.rejects(replaceFile(`${dir}/c`, "x"), Deno.errors.Interrupted);
    assert.deepEqual(await dirNames(dir), [], "no temp file was made");
    release();
    await cleanups;
    await replaceFile(`${dir}/c`, "x");
    assert.deepEqual(await dirNames(dir), ["c"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
