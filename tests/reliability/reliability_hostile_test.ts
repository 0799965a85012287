import assert from "node:assert/strict";
import { createTarPacker, type TarEntry } from "modern-tar";
import { fileEntry, tgz } from "../helpers/charts.ts";
import { expectCode, runH3, sandbox } from "../helpers/cli.ts";
import { startRegistry } from "../helpers/registry.ts";
import { rawPush } from "../helpers/reliability.ts";

const chartYaml = fileEntry(
  "mychart/Chart.yaml",
  "apiVersion: v2\nname: mychart\nversion: 1.0.0\n",
);
const config = new TextEncoder().encode(
  JSON.stringify({ name: "mychart", version: "1.0.0", apiVersion: "v2" }),
);

/** A .tgz of `files` files of `size` zero bytes each: about 1 MiB that inflates to files × size. */
async function gzipBomb(files: number, size: number): Promise<Uint8Array> {
  const { readable, controller } = createTarPacker();
  const packed = new Response(readable.pipeThrough(new CompressionStream("gzip"))).bytes();
  const zeros = new Uint8Array(1 << 20);
  const add = async (name: string, body: Uint8Array | number) => {
    const bytes = typeof body === "number" ? body : body.byteLength;
    const writer = controller.add({ name, size: bytes, type: "file" }).getWriter();
    if (typeof body === "number") {
      for (let left = body; left > 0; left -= zeros.byteLength) {
        await writer.write(left >= zeros.byteLength ? zeros : zeros.subarray(0, left));
      }
    } else await writer.write(body);
    await writer.close();
  };
  await add("mychart/Chart.yaml", new TextEncoder().encode(chartYaml.body as string));
  for (let i = 0; i < files; i++) await add(`mychart/templates/f${i}.yaml`, size);
  controller.finalize();
  return await packed;
}

/** Every path under `dir` (directories end in `/`), sorted. */
async function paths(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isDirectory) {
      out.push(
        `${prefix}${entry.name}/`,
        ...await paths(`${dir}/${entry.name}`, `${prefix}${entry.name}/`),
      );
    } else out.push(prefix + entry.name);
  }
  return out.sort();
}

Deno.test("hostile chart archives from a registry are refused on export, writing nothing outside", async (t) => {
  await using registry = await startRegistry();
  await using box = await sandbox();
  const outside = `${box.dir}/outside`;
  await Deno.mkdir(outside);
  await Deno.writeTextFile(`${outside}/victim`, "keep me\n");
  const cases: [string, Uint8Array, RegExp][] = [
    [
      "traversal",
      await tgz([chartYaml, fileEntry("mychart/../../../outside/evil", "x")]),
      /^unsafe chart archive: entry "mychart\/\.\.\/\.\.\/\.\.\/outside\/evil" refers to a parent directory \(".."\)$/,
    ],
    [
      "absolute",
      await tgz([chartYaml, fileEntry(`${outside}/evil`, "x")]),
      /^unsafe chart archive: entry "\/.*\/outside\/evil" is an absolute path$/,
    ],
    [
      "symlink",
      await tgz([
        chartYaml,
        { header: { name: "mychart/out", type: "symlink", linkname: outside, size: 0 } },
        fileEntry("mychart/out/evil", "x"),
      ]),
      /^unsafe chart archive: entry "mychart\/out" is a symlink, not a regular file or directory$/,
    ],
    [
      "hardlink",
      await tgz([
        chartYaml,
        {
          header: { name: "mychart/victim", type: "link", linkname: `${outside}/victim`, size: 0 },
        },
      ]),
      /^unsafe chart archive: entry "mychart\/victim" is a link, not a regular file or directory$/,
    ],
    [
      "device",
      await tgz([
        chartYaml,
        { header: { name: "mychart/null", type: "character-device", size: 0 } } as TarEntry,
      ]),
      /^unsafe chart archive: entry "mychart\/null" is a character-device, not a regular file/,
    ],
    [
      "fifo",
      await tgz([chartYaml, { header: { name: "mychart/pipe", type: "fifo", size: 0 } }]),
      /^unsafe chart archive: entry "mychart\/pipe" is a fifo, not a regular file/,
    ],
    [
      "not-gzip",
      new TextEncoder().encode("mychart/Chart.yaml: this is not a tar.gz\n"),
      /^chart content is not a gzip archive \(\.tgz\)$/,
    ],
    [
      "bomb-one-file",
      await gzipBomb(1, 1024 ** 3),
      /^chart file "templates\/f0\.yaml" is 1 GiB, over the 5 MiB limit for one file/,
    ],
    [
      "bomb-many-files",
      await gzipBomb(256, 4 * 1024 ** 2),
      /^chart is larger than 100 MiB decompressed \(see --max-chart-size\)$/,
    ],
  ];
  for (const [name, content] of cases) {
    assert.ok(content.byteLength < 2 * 1024 ** 2, `${name} is a small layer`);
    await rawPush(registry.url, `hostile/${name}`, "1.0.0", { config, content });
  }
  const refs = cases.map(([name]) => `${registry.host}/hostile/${name}:1.0.0`);
  expectCode(await box.run(["chart", "pull", ...refs]), 0);
  const before = await paths(box.dir);

  for (const [i, [name, , message]] of cases.entries()) {
    await t.step(name, async () => {
      const result = await runH3(["chart", "export", refs[i], "--destination", `out/${name}`], {
        cwd: box.dir,
        env: box.env,
        wrapper: ["/usr/bin/time", "-f", "peak %M KiB"],
      });
      assert.equal(result.code, 1, result.stderr);
      const [line, peak, ...rest] = result.stderr.trimEnd().split("\n")
        .filter((l) => !l.startsWith("Command exited with non-zero status"));
      assert.deepEqual(rest, [], result.stderr);
      assert.match(line, /^Error: /);
      assert.match(line.slice("Error: ".length), message);
      const kib = Number(/^peak (\d+) KiB$/.exec(peak)![1]);
      assert.ok(kib < 400 * 1024, `peak memory ${Math.round(kib / 1024)} MiB`);
      const made = await Deno.stat(`${box.dir}/out/${name}`).catch(() => undefined);
      assert.equal(made, undefined, "nothing extracted, not even the destination folder");
      const after = (await paths(box.dir)).filter((p) => !p.startsWith("out/"));
      assert.deepEqual(after, before.filter((p) => !p.startsWith("out/")), "nothing outside");
      assert.equal(await Deno.readTextFile(`${outside}/victim`), "keep me\n");
    });
  }
});
