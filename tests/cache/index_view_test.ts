/**
 * A layout keeps index.json parsed between lookups; these tests show it knows when the file was
 * replaced by another process, however quickly and with whatever inode numbers, and that it holds
 * no file open once disposed.
 */
import assert from "node:assert/strict";
import { OciLayout } from "../../core/cache/layout.ts";
import { storeChart, tempLayout } from "../helpers/layouts.ts";

const linuxOnly = Deno.build.os !== "linux";

/** This process's open files (by /proc/self/fd) that are the file with inode `ino`. */
function openFilesOf(ino: number): { fd: string; links: number }[] {
  const found: { fd: string; links: number }[] = [];
  for (const entry of Deno.readDirSync("/proc/self/fd")) {
    try {
      const info = Deno.statSync(`/proc/self/fd/${entry.name}`);
      if (info.ino === ino) found.push({ fd: entry.name, links: info.nlink ?? -1 });
    } catch { /* closed meanwhile (the directory read's own descriptor) */ }
  }
  return found;
}

/** The text of an open file, which stays open (its `readable` would close it). */
function readOpen(file: Deno.FsFile): string {
  const buffer = new Uint8Array(64 * 1024);
  let filled = 0;
  for (let read; filled < buffer.byteLength && (read = file.readSync(buffer.subarray(filled)));) {
    filled += read;
  }
  return new TextDecoder().decode(buffer.subarray(0, filled));
}

Deno.test({
  name: "a layout holds the index.json it parsed open until it reads another; dispose closes it",
  ignore: linuxOnly,
  sanitizeResources: true,
  async fn() {
    await using t = await tempLayout();
    const { desc: a } = await storeChart(t.layout, "c", "1.0.0", "aaaa");
    const { desc: b } = await storeChart(t.layout, "c", "1.0.0", "bbbb");
    const ref = "r.example/x/c:1";
    await t.layout.tag(a, ref);
    using reader = await OciLayout.open(t.dir);
    assert.equal((await reader.resolve(ref)).digest, a.digest);
    const first = Deno.statSync(`${t.dir}/index.json`).ino!;
    // Another writer replaces index.json (a new file renamed over it): the file the reader parsed
    // is unlinked but stays open in the reader, so no later file can be given its inode number
    // while the reader takes that number for "unchanged".
    await t.layout.tag(b, ref);
    const second = Deno.statSync(`${t.dir}/index.json`).ino!;
    assert.notEqual(second, first);
    assert.deepEqual(openFilesOf(first).map((f) => f.links), [0]);
    // The reader sees the new file, lets the old one go and holds the new one (as the writer does).
    assert.equal((await reader.resolve(ref)).digest, b.digest);
    assert.deepEqual(openFilesOf(first), []);
    assert.equal(openFilesOf(second).length, 2);
    reader[Symbol.dispose]();
    assert.equal(openFilesOf(second).length, 1);
    // A disposed layout still answers: it reads index.json again (and holds it until disposed).
    assert.equal((await reader.resolve(ref)).digest, b.digest);
    assert.equal(openFilesOf(second).length, 2);
  },
});

Deno.test({
  name: "lookups stay right while another process rewrites index.json thousands of times",
  ignore: linuxOnly,
  sanitizeResources: true,
  async fn() {
    await using t = await tempLayout();
    const path = `${t.dir}/index.json`;
    const ref = "r.example/x/c:1";
    // Three indexes of one length naming the ref at three digests: rewrites within one tick of
    // the file clock, whose temp files ext4 gives the inode numbers of files just replaced, once
    // looked unchanged to a reader that had parsed an older one.
    const text = (c: string) =>
      JSON.stringify({
        schemaVersion: 2,
        manifests: [{
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          digest: `sha256:${c.repeat(64)}`,
          size: 1,
          annotations: { "org.opencontainers.image.ref.name": ref },
        }],
      });
    await Deno.mkdir(`${t.dir}/.tmp`, { recursive: true });
    await Deno.writeTextFile(path, text("a"));
    // The writer replaces index.json as h3 does (a new file renamed over it), in bursts of four.
    const writer = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `const [path, tmp, ...texts] = Deno.args;
        const end = performance.now() + 1500;
        for (let i = 0; i < 1e6 && performance.now() < end; i++) {
          Deno.writeTextFileSync(tmp + (i % 4), texts[i % 3]);
          Deno.renameSync(tmp + (i % 4), path);
          if (i % 4 === 3) await new Promise((resolve) => setTimeout(resolve, 1));
        }`,
        path,
        `${t.dir}/.tmp/w`,
        text("a"),
        text("b"),
        text("c"),
      ],
    }).spawn();
    using reader = await OciLayout.open(t.dir);
    let checked = 0;
    const wrong: string[] = [];
    const end = performance.now() + 1500;
    for (let i = 0; i < 1e6 && performance.now() < end; i++) {
      // What index.json says, read through a file held open across the lookup: if the path still
      // names that file after the lookup, the file did not change meanwhile, and the lookup must
      // have answered what it says.
      using file = await Deno.open(path);
      const before = await file.stat();
      const truth = JSON.parse(readOpen(file)).manifests[0].digest;
      const answer = (await reader.resolve(ref)).digest;
      if (Deno.statSync(path).ino !== before.ino) continue;
      checked++;
      if (answer !== truth) wrong.push(`${answer.slice(7, 8)} for ${truth.slice(7, 8)}`);
    }
    assert.equal((await writer.status).code, 0);
    assert.ok(checked >= 100, `only ${checked} lookups saw the file unchanged throughout`);
    assert.deepEqual(wrong.slice(0, 5), [], `${wrong.length} of ${checked} lookups were stale`);
  },
});
