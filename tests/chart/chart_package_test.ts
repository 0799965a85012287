import assert from "node:assert/strict";
import { createTarDecoder, packTar, type TarHeader } from "modern-tar";
import { loadChartDir } from "../../core/chart/load.ts";
import { entryHeader, packChart } from "../../core/chart/package.ts";
import { hashingStream } from "../../core/digest.ts";
import { ChartError } from "../../core/errors.ts";
import { fixtureChart, minimalChart, tempDir, writeTree } from "../helpers/charts.ts";

async function packageDigest(dir: string): Promise<string> {
  const { stream, measured } = hashingStream();
  await packChart(await loadChartDir(dir)).pipeThrough(stream).pipeTo(new WritableStream());
  return (await measured).digest;
}

async function packageEntries(dir: string): Promise<{ header: TarHeader; text: string }[]> {
  const entries = packChart(await loadChartDir(dir))
    .pipeThrough(new DecompressionStream("gzip"))
    .pipeThrough(createTarDecoder({ strict: true }));
  const out = [];
  for await (const entry of entries) {
    out.push({ header: entry.header, text: await new Response(entry.body).text() });
  }
  return out;
}

async function names(dir: string): Promise<string[]> {
  return (await packageEntries(dir)).map((e) => e.header.name);
}

Deno.test("the same directory gives the same Content digest every time", async () => {
  assert.equal(await packageDigest(fixtureChart), await packageDigest(fixtureChart));
});

Deno.test("the digest does not depend on mtimes, creation order, umask or the directory name", async () => {
  await using t = await tempDir();
  const files = Object.entries(minimalChart);
  const previous = Deno.umask(0o022);
  try {
    await writeTree(`${t.dir}/one`, Object.fromEntries(files));
    Deno.umask(0o077);
    await writeTree(`${t.dir}/two`, Object.fromEntries(files.toReversed()));
  } finally {
    Deno.umask(previous);
  }
  await Deno.utime(`${t.dir}/two/values.yaml`, new Date(2001, 1, 1), new Date(2001, 1, 1));
  await Deno.utime(`${t.dir}/two/templates`, new Date(2011, 1, 1), new Date(2011, 1, 1));
  assert.notEqual(
    (await Deno.stat(`${t.dir}/one/values.yaml`)).mode,
    (await Deno.stat(`${t.dir}/two/values.yaml`)).mode,
  );
  assert.equal(await packageDigest(`${t.dir}/one`), await packageDigest(`${t.dir}/two`));

  // a different content does change it
  await Deno.writeTextFile(`${t.dir}/two/values.yaml`, "replicaCount: 2\n");
  assert.notEqual(await packageDigest(`${t.dir}/one`), await packageDigest(`${t.dir}/two`));
});

Deno.test("entries are sorted under <chart name>/ with normalized modes, times and owners", async () => {
  await using t = await tempDir();
  await writeTree(`${t.dir}/src`, { ...minimalChart, "files/run.sh": "#!/bin/sh\n", "b.txt": "b" });
  await Deno.chmod(`${t.dir}/src/files/run.sh`, 0o700);
  await Deno.chmod(`${t.dir}/src/b.txt`, 0o600);
  const entries = await packageEntries(`${t.dir}/src`);
  assert.deepEqual(entries.map((e) => e.header.name), [
    "mychart/",
    "mychart/Chart.yaml",
    "mychart/b.txt",
    "mychart/files/",
    "mychart/files/run.sh",
    "mychart/templates/",
    "mychart/templates/service.yaml",
    "mychart/values.yaml",
  ]);
  for (const { header } of entries) {
    const dir = header.type === "directory";
    const executable = header.name.endsWith(".sh");
    assert.equal(header.mode, dir || executable ? 0o755 : 0o644, header.name);
    assert.equal(header.mtime?.getTime(), 0, header.name);
    assert.equal(header.uid, 0);
    assert.equal(header.gid, 0);
    assert.equal(header.uname, "");
    assert.equal(header.gname, "");
  }
  assert.equal(entries.find((e) => e.header.name === "mychart/b.txt")?.text, "b");
});

Deno.test("the gzip header carries no name, no time and OS 'unknown'", async () => {
  const reader = packChart(await loadChartDir(fixtureChart)).getReader();
  const { value } = await reader.read();
  await reader.cancel();
  assert.deepEqual([...value!.subarray(0, 10)], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
});

Deno.test(".helmignore is honoured with gitignore syntax, plus Helm's templates/.?* rule", async () => {
  await using t = await tempDir();
  await writeTree(t.dir, {
    ...minimalChart,
    ".helmignore": "# comment\n*.bak\nsecret/\n!keep.bak\n/top.txt\n",
    "a.bak": "x",
    "keep.bak": "kept",
    "secret/key": "x",
    "top.txt": "x",
    "sub/top.txt": "deep",
    "templates/.hidden": "x",
    "templates/sub/.dot": "not at templates/ top level",
    ".git/HEAD": "Helm packs it unless .helmignore says so",
  });
  assert.deepEqual(await names(t.dir), [
    "mychart/",
    "mychart/.git/",
    "mychart/.git/HEAD",
    "mychart/.helmignore",
    "mychart/Chart.yaml",
    "mychart/keep.bak",
    "mychart/sub/",
    "mychart/sub/top.txt",
    "mychart/templates/",
    "mychart/templates/service.yaml",
    "mychart/templates/sub/",
    "mychart/templates/sub/.dot",
    "mychart/values.yaml",
  ]);
});

Deno.test("symbolic links are followed as Helm does; loops, broken links and FIFOs are refused", async () => {
  await using t = await tempDir();
  await writeTree(`${t.dir}/c`, minimalChart);
  await writeTree(t.dir, { "outside.txt": "linked content" });
  await Deno.symlink(`${t.dir}/outside.txt`, `${t.dir}/c/linked.txt`);
  const linked = (await packageEntries(`${t.dir}/c`)).find((e) =>
    e.header.name === "mychart/linked.txt"
  );
  assert.equal(linked?.header.type, "file");
  assert.equal(linked?.text, "linked content");

  await Deno.symlink(`${t.dir}/c`, `${t.dir}/c/templates/loop`);
  await assert.rejects(packageDigest(`${t.dir}/c`), /c\/templates\/loop: symbolic link loop/);
  await Deno.remove(`${t.dir}/c/templates/loop`);

  await Deno.symlink(`${t.dir}/nowhere`, `${t.dir}/c/dangling`);
  await assert.rejects(packageDigest(`${t.dir}/c`), /c\/dangling: broken symbolic link/);
  await Deno.writeTextFile(`${t.dir}/c/.helmignore`, "dangling\n");
  await packageDigest(`${t.dir}/c`);

  const mkfifo = new Deno.Command("mkfifo", { args: [`${t.dir}/c/pipe`] });
  assert.equal((await mkfifo.output()).code, 0);
  await assert.rejects(
    loadChartDir(`${t.dir}/c`),
    /c\/pipe: not a regular file or directory \(add it to \.helmignore to skip it\)/,
  );
});

Deno.test("a missing directory, a file, or a directory without Chart.yaml is a clear error", async () => {
  await using t = await tempDir();
  await assert.rejects(
    loadChartDir(`${t.dir}/nope/`),
    new ChartError(`${t.dir}/nope: no such directory`),
  );
  await writeTree(t.dir, { "file.txt": "x", "empty/values.yaml": "a: 1\n" });
  await assert.rejects(loadChartDir(`${t.dir}/file.txt`), /file.txt: not a directory/);
  await assert.rejects(
    loadChartDir(`${t.dir}/empty`),
    new ChartError(`${t.dir}/empty: no Chart.yaml (not a chart directory)`),
  );
  await writeTree(`${t.dir}/ign`, { ...minimalChart, ".helmignore": "Chart.yaml\n" });
  await assert.rejects(loadChartDir(`${t.dir}/ign`), /Chart.yaml: excluded by .*\.helmignore/);
});

Deno.test("an apiVersion v1 chart takes its dependencies from requirements.yaml", async () => {
  await using t = await tempDir();
  await writeTree(t.dir, {
    "Chart.yaml": "apiVersion: v1\nname: old\nversion: 1.0.0\n",
    "requirements.yaml":
      "dependencies:\n  - name: redis\n    version: 10.x\n    repository: https://charts.example.com\n",
  });
  const { meta } = await loadChartDir(t.dir);
  assert.deepEqual(meta.dependencies?.map((d) => [d.name, d.version, d.repository]), [
    ["redis", "10.x", "https://charts.example.com"],
  ]);
});

// Streaming needs ~40 MiB here (GC slack), holding the file would need 128 MiB or more: the limit
// between them leaves headroom for a loaded machine. Speed and tight figures are in the bench.
Deno.test("packaging streams: a 128 MiB file does not need 128 MiB of memory", async () => {
  await using t = await tempDir();
  await writeTree(t.dir, minimalChart);
  using file = await Deno.open(`${t.dir}/big.bin`, { write: true, create: true });
  await file.truncate(128 * 1024 * 1024);
  const before = Deno.memoryUsage();
  let peak = 0;
  let size = 0;
  await packChart(await loadChartDir(t.dir)).pipeTo(
    new WritableStream({
      write(chunk) {
        size += chunk.byteLength;
        const now = Deno.memoryUsage();
        peak = Math.max(peak, now.heapUsed + now.external - before.heapUsed - before.external);
      },
    }),
  );
  assert.ok(size > 0);
  assert.ok(peak < 96 * 1024 * 1024, `memory grew by ${(peak / 1048576).toFixed(1)} MiB`);
});

Deno.test("the tar inside is byte for byte what modern-tar packs: long names, odd sizes, pieces", async () => {
  await using t = await tempDir();
  const long = `${"deep/".repeat(22)}dashboard.json`; // 124 bytes: ustar prefix field
  const longer = `${"a".repeat(120)}/${"b".repeat(120)}/${"ü".repeat(30)}.yaml`; // pax path
  const files: Record<string, string | Uint8Array> = {
    ...minimalChart,
    "files/ünïcode.txt": "non-ASCII name",
    "files/empty": "",
    [long]: "long name",
    [longer]: "longer name",
  };
  // 1.5 MiB of bodies in sizes around the 512-byte block, across the 1 MiB pieces given to gzip
  for (let i = 0; i < 600; i++) files[`many/f${i}.txt`] = "x".repeat((i * 37) % 1030 + 500);
  files["big.bin"] = new Uint8Array(1_300_000).map((_, i) => i % 251);
  await writeTree(t.dir, files);
  await Deno.chmod(`${t.dir}/files/empty`, 0o755);
  const source = await loadChartDir(t.dir);
  const tar = await new Response(
    packChart(source).pipeThrough(new DecompressionStream("gzip")),
  ).bytes();
  const expected = await packTar([
    { header: entryHeader("mychart", { name: "", dir: true, size: 0, executable: false }) },
    ...source.files.map((file) => ({
      header: entryHeader("mychart", file),
      body: file.dir ? undefined : Deno.readFileSync(file.path),
    })),
  ]);
  assert.equal(tar.byteLength, expected.byteLength);
  assert.ok(tar.every((byte, i) => byte === expected[i]), "the tar streams differ");
});

Deno.test("a package's digest is pinned: packaging changes only on purpose", async () => {
  // Same files, same bytes, on every machine and release; a change here changes every chart's
  // Content digest, so an unchanged chart would be pushed again.
  assert.equal(
    await packageDigest(fixtureChart),
    "sha256:a5b00409aead23a9fe0882371ccf7176b666ef15cbe46973f4d6a00ae8ac879a",
  );
});

Deno.test("a file that changes size while it is packaged is an error naming it", async () => {
  await using t = await tempDir();
  await writeTree(t.dir, { ...minimalChart, "grow.txt": "short" });
  const source = await loadChartDir(t.dir);
  await Deno.writeTextFile(`${t.dir}/grow.txt`, "longer than it was");
  await assert.rejects(
    packChart(source).pipeTo(new WritableStream()),
    new ChartError(`${t.dir}/grow.txt: changed while packaging (its size changed)`),
  );
  await Deno.writeTextFile(`${t.dir}/grow.txt`, "s");
  await assert.rejects(packChart(source).pipeTo(new WritableStream()), /grow.txt: changed/);
});

Deno.test("a file one byte longer than listed is an error, also where its body ends a 1 MiB piece", async () => {
  await using t = await tempDir();
  // Top directory, Chart.yaml (header and a block of body) and a.bin's header take 2,048 bytes:
  // a.bin's body ends the first 1 MiB piece of tar exactly, where no read can ask for a byte more.
  const pieceEnd = 1024 * 1024 - 4 * 512;
  await writeTree(t.dir, { ...minimalChart, "a.bin": "x".repeat(pieceEnd), "b.txt": "short" });
  const source = await loadChartDir(t.dir);
  await Deno.writeTextFile(`${t.dir}/b.txt`, "short+");
  await assert.rejects(packChart(source).pipeTo(new WritableStream()), /b\.txt: changed/);
  await Deno.writeTextFile(`${t.dir}/b.txt`, "short");
  await packChart(source).pipeTo(new WritableStream()); // as listed again: packs
  await Deno.writeTextFile(`${t.dir}/a.bin`, "x".repeat(pieceEnd + 1));
  await assert.rejects(packChart(source).pipeTo(new WritableStream()), /a\.bin: changed/);
});
