import assert from "node:assert/strict";
import fc from "fast-check";
import type { TarEntry } from "modern-tar";
import {
  chartDirPath,
  entryPath,
  extractChart,
  type ExtractOptions,
  relativePath,
} from "../../core/chart/extract.ts";
import { loadChartDir } from "../../core/chart/load.ts";
import { packChart } from "../../core/chart/package.ts";
import { ChartError } from "../../core/errors.ts";
import { humanSize } from "../../core/size.ts";
import {
  fileEntry,
  fixtureChart,
  minimalChart,
  readTree,
  tempDir,
  tgz,
  writeTree,
} from "../helpers/charts.ts";

const chartYaml = fileEntry("mychart/Chart.yaml", minimalChart["Chart.yaml"]);

function extract(bytes: Uint8Array, options: Omit<ExtractOptions, "name"> & { name?: string }) {
  return extractChart(ReadableStream.from([bytes]), { name: "mychart", ...options });
}

/** Everything under `dir`, hidden temp dirs included, to prove nothing was left behind. */
async function listing(dir: string): Promise<string[]> {
  return Object.keys(await readTree(dir).catch(() => ({})));
}

Deno.test("a packaged chart extracts back to the same files", async () => {
  await using t = await tempDir();
  const path = await extractChart(packChart(await loadChartDir(fixtureChart)), {
    name: "mychart",
    destination: `${t.dir}/out`,
  });
  assert.equal(path, `${t.dir}/out/mychart`);
  assert.deepEqual(await readTree(path), await readTree(fixtureChart));
});

/**
 * Extracts a chart of `entries` (Chart.yaml added) into `dir` with the process umask set to
 * `umask`; returns the permission bits of a path inside the chart.
 */
async function extractWithUmask(dir: string, umask: number, entries: TarEntry[]) {
  const previous = Deno.umask(umask);
  try {
    await extract(await tgz([chartYaml, ...entries]), { destination: dir });
  } finally {
    Deno.umask(previous);
  }
  return async (path: string) => (await Deno.stat(`${dir}/mychart/${path}`)).mode! & 0o777;
}

/**
 * The entries each umask case extracts: an executable only its owner may run, a file anyone may
 * write, both in the archive's modes, and a file large enough to be streamed.
 */
const modeEntries = [
  fileEntry("mychart/run.sh", "#!/bin/sh\n", 0o700),
  fileEntry("mychart/templates/data.yaml", "x: 1\n", 0o666),
  fileEntry("mychart/big.txt", "y".repeat(300 * 1024)), // over 256 KiB: a streamed body
];

/** Each umask, and the modes it leaves run.sh, the other files and the directories. */
const umaskCases = [
  {
    name: "extracted files get 0644, or 0755 when the archive marks them executable",
    umask: 0o022,
    modes: { executable: 0o755, file: 0o644, dir: 0o755 },
  },
  {
    name: "the umask applies to extracted files and directories, as to any file h3 creates",
    umask: 0o027,
    modes: { executable: 0o750, file: 0o640, dir: 0o750 },
  },
  {
    name: "a umask that leaves group and others write access still gives files 0644",
    umask: 0o002,
    modes: { executable: 0o755, file: 0o644, dir: 0o755 },
  },
];

for (const { name, umask, modes } of umaskCases) {
  Deno.test(name, async () => {
    await using t = await tempDir();
    const mode = await extractWithUmask(t.dir, umask, modeEntries);
    assert.equal(await mode("run.sh"), modes.executable);
    for (const path of ["templates/data.yaml", "big.txt", "Chart.yaml"]) {
      assert.equal(await mode(path), modes.file, path);
    }
    for (const path of ["templates", "."]) assert.equal(await mode(path), modes.dir, path);
  });
}

const hostile: [string, TarEntry[], RegExp][] = [
  [
    "a parent-directory path",
    [chartYaml, fileEntry("../evil", "x")],
    /"\.\.\/evil" refers to a parent/,
  ],
  [
    "a '..' inside the chart",
    [chartYaml, fileEntry("mychart/templates/../../evil", "x")],
    /refers to a parent directory/,
  ],
  [
    "an absolute path",
    [chartYaml, fileEntry("/tmp/evil", "x")],
    /"\/tmp\/evil" is an absolute path/,
  ],
  ["a backslash path", [chartYaml, fileEntry("mychart\\..\\evil", "x")], /contains a backslash/],
  [
    "a symbolic link",
    [chartYaml, {
      header: { name: "mychart/link", type: "symlink", linkname: "/etc/passwd", size: 0 },
    }],
    /"mychart\/link" is a symlink, not a regular file/,
  ],
  [
    "a hard link",
    [chartYaml, {
      header: { name: "mychart/hard", type: "link", linkname: "mychart/Chart.yaml", size: 0 },
    }],
    /"mychart\/hard" is a link, not a regular file/,
  ],
  [
    "a character device",
    [chartYaml, { header: { name: "mychart/tty", type: "character-device", size: 0 } }],
    /is a character-device/,
  ],
  [
    "a block device",
    [chartYaml, { header: { name: "mychart/sda", type: "block-device", size: 0 } }],
    /is a block-device/,
  ],
  ["a FIFO", [chartYaml, { header: { name: "mychart/p", type: "fifo", size: 0 } }], /is a fifo/],
  [
    "an entry outside the chart's top directory",
    [chartYaml, fileEntry("other/x", "x")],
    /"other\/x" is outside the chart's top directory "mychart\/"/,
  ],
  [
    "a file where the top directory should be",
    [fileEntry("mychart", "x")],
    /"mychart" is not a directory/,
  ],
  ["an entry given twice", [chartYaml, chartYaml], /"mychart\/Chart.yaml" appears twice/],
  [
    "an entry inside a file",
    [chartYaml, fileEntry("mychart/Chart.yaml/x", "x")],
    /"mychart\/Chart.yaml\/x" is inside a file/,
  ],
  [
    "an entry inside a file met earlier in its directory",
    [
      chartYaml,
      fileEntry("mychart/templates/a", "x"),
      fileEntry("mychart/templates/b", "x"),
      fileEntry("mychart/templates/a/x", "x"),
    ],
    /"mychart\/templates\/a\/x" is inside a file/,
  ],
  [
    "a file where a directory was made for the files before it",
    [chartYaml, fileEntry("mychart/templates/a", "x"), fileEntry("mychart/templates", "x")],
    /"mychart\/templates" appears twice/,
  ],
  [
    "an archive without Chart.yaml",
    [fileEntry("mychart/values.yaml", "a: 1")],
    /has no mychart\/Chart.yaml/,
  ],
];

Deno.test("an entry's place in the chart is found as entryPath finds it, or refused alike", () => {
  const part = fc.constantFrom("mychart", "a", "b.yaml", ".", "..", "", ".a", "..b", "C:", "x\\y");
  const place = (header: Parameters<typeof entryPath>[0]) => {
    try {
      return entryPath(header, "mychart").join("/");
    } catch (error) {
      return (error as Error).message;
    }
  };
  const fast = (header: Parameters<typeof entryPath>[0]) => {
    try {
      return relativePath(header, "mychart");
    } catch (error) {
      return (error as Error).message;
    }
  };
  fc.assert(
    fc.property(
      fc.array(part, { minLength: 1, maxLength: 5 }),
      fc.constantFrom("file" as const, "directory" as const, "symlink" as const),
      (parts, type) => {
        const header = { name: parts.join("/"), type, size: 0 };
        assert.equal(fast(header), place(header));
      },
    ),
    { numRuns: 2000 },
  );
});

for (const [what, entries, message] of hostile) {
  Deno.test(`extract refuses ${what} and leaves nothing behind`, async () => {
    await using t = await tempDir();
    const destination = `${t.dir}/dest`;
    await writeTree(destination, { "keep.txt": "mine" });
    await assert.rejects(extract(await tgz(entries), { destination }), (error: unknown) => {
      assert.ok(error instanceof ChartError, String(error));
      assert.match(error.message, message);
      return true;
    });
    assert.deepEqual(await listing(destination), ["keep.txt"]);
    assert.deepEqual(await listing(t.dir), ["dest", "dest/keep.txt"]);
  });
}

Deno.test("extract refuses input that is not gzip, or a corrupt archive", async () => {
  await using t = await tempDir();
  const destination = `${t.dir}/dest`;
  const tar = new TextEncoder().encode("not a tarball at all");
  await assert.rejects(
    extract(tar, { destination }),
    new ChartError("chart content is not a gzip archive (.tgz)"),
  );
  const good = await tgz([chartYaml]);
  await assert.rejects(extract(good.subarray(0, good.length - 12), { destination }), ChartError);
  const corrupt = new Uint8Array(
    await new Response(
      ReadableStream.from([new Uint8Array(1024).fill(65)]).pipeThrough(
        new CompressionStream("gzip"),
      ),
    ).arrayBuffer(),
  );
  await assert.rejects(extract(corrupt, { destination }), /invalid chart archive/);
  assert.deepEqual(await listing(destination), []);
});

Deno.test("the decompressed chart size and the size of one file are limited", async () => {
  await using t = await tempDir();
  const big = fileEntry("mychart/big.txt", "x".repeat(20_000));
  const archive = await tgz([chartYaml, big]);
  await assert.rejects(
    extract(archive, { destination: t.dir, maxSize: 10_000 }),
    {
      name: "ChartError",
      message: `chart is larger than ${humanSize(10_000)} decompressed (see maxSize)`,
    },
  );
  await assert.rejects(
    extract(archive, { destination: t.dir, maxFileSize: 10_000 }),
    {
      name: "ChartError",
      message: `chart file "big.txt" is ${humanSize(20_000)}, over the ${
        humanSize(10_000)
      } limit for one file (see maxFileSize)`,
    },
  );
  assert.deepEqual(await listing(t.dir), []);
  await extract(archive, { destination: t.dir, maxSize: 30_000, maxFileSize: 20_000 });
  assert.equal((await Deno.stat(`${t.dir}/mychart/big.txt`)).size, 20_000);
});

Deno.test("the default limits are Helm 4's: 5 MiB for one file", async () => {
  await using t = await tempDir();
  const archive = await tgz([
    chartYaml,
    fileEntry("mychart/big", "\0".repeat(5 * 1024 * 1024 + 1)),
  ]);
  await assert.rejects(
    extract(archive, { destination: t.dir }),
    /over the 5 MiB limit for one file/,
  );
});

Deno.test("an existing chart directory is refused unless force, and replaced only on success", async () => {
  await using t = await tempDir();
  await writeTree(`${t.dir}/mychart`, { "old.txt": "old" });
  const good = await tgz([chartYaml, fileEntry("mychart/new.txt", "new")]);
  await assert.rejects(
    extract(good, { destination: t.dir }),
    { name: "ChartError", message: `${t.dir}/mychart already exists (use force to replace it)` },
  );
  const bad = await tgz([chartYaml, fileEntry("../evil", "x")]);
  await assert.rejects(extract(bad, { destination: t.dir, force: true }), /parent directory/);
  assert.deepEqual(await listing(t.dir), ["mychart", "mychart/old.txt"]);

  await extract(good, { destination: t.dir, force: true });
  assert.deepEqual(await listing(t.dir), ["mychart", "mychart/Chart.yaml", "mychart/new.txt"]);
});

Deno.test("an unsafe chart name is refused before anything is written", async () => {
  await using t = await tempDir();
  await assert.rejects(
    extract(await tgz([chartYaml]), { destination: t.dir, name: ".." }),
    new ChartError(`invalid chart name ".."`),
  );
  assert.deepEqual(await listing(t.dir), []);
});

Deno.test("the chart directory is named as the user gave the destination", () => {
  assert.equal(chartDirPath(".", "mychart"), "mychart");
  assert.equal(chartDirPath("out", "mychart"), "out/mychart");
  assert.equal(chartDirPath("out/", "mychart"), "out/mychart");
  assert.equal(chartDirPath("/", "mychart"), "/mychart");
});
