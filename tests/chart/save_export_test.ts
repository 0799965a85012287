import assert from "node:assert/strict";
import { OciLayout } from "../../core/cache/layout.ts";
import { encodeManifest, manifestDescriptor } from "../../core/oci/descriptor.ts";
import { helmConfig, helmContent, ociManifest } from "../../core/oci/media_types.ts";
import { expectCode, type RunResult, type Sandbox, sandbox } from "../helpers/cli.ts";
import {
  fileEntry,
  fixtureChart,
  minimalChart,
  readTree,
  tgz,
  treeSnapshot,
  writeTree,
} from "../helpers/charts.ts";

const ref = "localhost:5000/myrepo/mychart:latest";

/** The seed's save output: two Saving lines, the summary, and `<tag>: saved`. */
function parseSave(result: RunResult, tag: string) {
  const lines = expectCode(result, 0).stdout.trimEnd().split("\n");
  assert.equal(lines.length, 7, result.stdout);
  const [meta, content, name, version, metaDigest, contentDigest, saved] = lines;
  assert.match(meta, /^[0-9a-f]{7}: Saving meta \(\d+ B\)$/);
  assert.match(content, /^[0-9a-f]{7}: Saving content \(\d+(\.\d+)? (B|KiB)\)$/);
  assert.match(name, /^Name: \S+$/);
  assert.match(version, /^Version: \S+$/);
  assert.match(metaDigest, /^Meta: sha256:[0-9a-f]{64}$/);
  assert.match(contentDigest, /^Content: sha256:[0-9a-f]{64}$/);
  assert.equal(
    meta.slice(0, 7),
    metaDigest.slice("Meta: sha256:".length, "Meta: sha256:".length + 7),
  );
  assert.equal(
    content.slice(0, 7),
    contentDigest.slice("Content: sha256:".length, "Content: sha256:".length + 7),
  );
  assert.equal(saved, `${tag}: saved`);
  return {
    meta: metaDigest.slice("Meta: ".length),
    content: contentDigest.slice("Content: ".length),
    summary: lines.slice(2, 6),
  };
}

function blob(box: Sandbox, digest: string): Promise<Uint8Array> {
  return Deno.readFile(`${box.helmHome}/registry/blobs/sha256/${digest.slice("sha256:".length)}`);
}

Deno.test("save prints the seed's lines and stores Helm's manifest, config and content", async () => {
  await using box = await sandbox();
  const saved = parseSave(await box.run(["chart", "save", fixtureChart, ref]), "latest");
  assert.deepEqual(saved.summary.slice(0, 2), ["Name: mychart", "Version: 2.7.0"]);
  assert.equal(
    new TextDecoder().decode(await blob(box, saved.meta)),
    '{"name":"mychart","version":"2.7.0","description":"A Helm chart for Kubernetes",' +
      '"apiVersion":"v2","appVersion":"1.16.0","type":"application"}',
  );

  // skopeo reads the cache as a standard OCI layout
  const skopeo = await new Deno.Command("skopeo", {
    args: ["inspect", "--raw", `oci:${box.helmHome}/registry:${ref}`],
  }).output();
  assert.equal(skopeo.code, 0, new TextDecoder().decode(skopeo.stderr));
  const manifest = JSON.parse(new TextDecoder().decode(skopeo.stdout));
  assert.equal(manifest.mediaType, ociManifest);
  assert.equal(manifest.config.mediaType, helmConfig);
  assert.equal(manifest.config.digest, saved.meta);
  assert.deepEqual(manifest.layers.map((l: { mediaType: string }) => l.mediaType), [helmContent]);
  assert.equal(manifest.layers[0].digest, saved.content);
  const notes = manifest.annotations;
  assert.equal(notes["org.opencontainers.image.title"], "mychart");
  assert.equal(notes["org.opencontainers.image.version"], "2.7.0");
  assert.equal(notes["org.opencontainers.image.description"], "A Helm chart for Kubernetes");
  assert.match(notes["org.opencontainers.image.created"], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
});

Deno.test("the same chart gives the same Content digest in every cache", async () => {
  await using one = await sandbox();
  await using two = await sandbox();
  const first = parseSave(await one.run(["chart", "save", fixtureChart, ref]), "latest");
  const again = parseSave(await one.run(["chart", "save", `${fixtureChart}/`, ref]), "latest");
  const other = parseSave(await two.run(["chart", "save", fixtureChart, `oci://${ref}`]), "latest");
  assert.equal(first.content, again.content);
  assert.equal(first.content, other.content);
  assert.equal(first.meta, other.meta);
});

Deno.test("a REF without a tag takes the chart version, '+' becoming '_'", async () => {
  await using box = await sandbox();
  await writeTree(`${box.dir}/c`, {
    ...minimalChart,
    "Chart.yaml": "apiVersion: v2\nname: mychart\nversion: 1.2.3+build.4\n",
  });
  parseSave(
    await box.run(["chart", "save", "c", "localhost:5000/myrepo/mychart"]),
    "1.2.3_build.4",
  );
  const list = expectCode(await box.run(["chart", "list", "--output", "json"]), 0);
  const rows = JSON.parse(list.stdout);
  assert.deepEqual(rows.map((r: { ref: string }) => r.ref), [
    "localhost:5000/myrepo/mychart:1.2.3_build.4",
  ]);
  assert.equal(rows[0].version, "1.2.3+build.4");
});

Deno.test("export writes the chart back, file for file, where the user asked", async () => {
  await using box = await sandbox();
  const saved = parseSave(await box.run(["chart", "save", fixtureChart, ref]), "latest");
  const exported = expectCode(await box.run(["chart", "export", ref]), 0);
  assert.equal(exported.stdout, [...saved.summary, "Exported to mychart/", ""].join("\n"));
  assert.deepEqual(await readTree(`${box.dir}/mychart`), await readTree(fixtureChart));

  const out = expectCode(
    await box.run(["chart", "export", `oci://${ref}`, "--destination", "out"]),
    0,
  );
  assert.equal(out.stdout.trimEnd().split("\n").at(-1), "Exported to out/mychart/");
  assert.deepEqual(await readTree(`${box.dir}/out/mychart`), await readTree(fixtureChart));
});

Deno.test("export refuses an existing chart directory unless --force", async () => {
  await using box = await sandbox();
  expectCode(await box.run(["chart", "save", fixtureChart, ref]), 0);
  await writeTree(`${box.dir}/mychart`, { "mine.txt": "keep me" });
  const refused = expectCode(await box.run(["chart", "export", ref]), 1);
  assert.equal(refused.stderr, "Error: mychart already exists (use --force to replace it)\n");
  assert.equal(refused.stdout, "");
  assert.deepEqual(await readTree(`${box.dir}/mychart`), { "mine.txt": "keep me" });

  expectCode(await box.run(["chart", "export", ref, "--force"]), 0);
  assert.deepEqual(await readTree(`${box.dir}/mychart`), await readTree(fixtureChart));
});

Deno.test("export applies the size limits, and the flags raise them", async () => {
  await using box = await sandbox();
  await writeTree(`${box.dir}/c`, minimalChart);
  using file = await Deno.open(`${box.dir}/c/big.bin`, { write: true, create: true });
  await file.truncate(6 * 1024 * 1024);
  expectCode(await box.run(["chart", "save", "c", ref]), 0);
  const refused = expectCode(await box.run(["chart", "export", ref, "-d", "out"]), 1);
  assert.equal(
    refused.stderr,
    'Error: chart file "big.bin" is 6 MiB, over the 5 MiB limit for one file (see --max-file-size)\n',
  );
  assert.deepEqual(await treeSnapshot(`${box.dir}/out`), []);
  const small = expectCode(
    await box.run([
      "chart",
      "export",
      ref,
      "-d",
      "out",
      "--max-file-size",
      "8MiB",
      "--max-chart-size",
      "1MiB",
    ]),
    1,
  );
  assert.match(small.stderr, /^Error: chart is larger than 1 MiB decompressed/);
  expectCode(await box.run(["chart", "export", ref, "-d", "out", "--max-file-size", "8MiB"]), 0);
  assert.equal((await Deno.stat(`${box.dir}/out/mychart/big.bin`)).size, 6 * 1024 * 1024);
  const usage = expectCode(await box.run(["chart", "export", ref, "--max-file-size", "lots"]), 2);
  assert.match(usage.stderr, /^Error: invalid --max-file-size "lots"/);
});

Deno.test("export refuses a hostile chart in the cache and writes nothing", async () => {
  await using box = await sandbox();
  using cache = await OciLayout.open(`${box.helmHome}/registry`);
  const store = async (reference: string, name: string, content: Uint8Array) => {
    const configBytes = new TextEncoder().encode(
      JSON.stringify({ apiVersion: "v2", name, version: "1.0.0" }),
    );
    const config = await cache.ingest(ReadableStream.from([configBytes]), helmConfig);
    const layer = await cache.ingest(ReadableStream.from([content]), helmContent);
    const bytes = encodeManifest({
      schemaVersion: 2,
      mediaType: ociManifest,
      config,
      layers: [layer],
    });
    const desc = await manifestDescriptor(bytes);
    await cache.push(desc, ReadableStream.from([bytes]));
    await cache.tag(desc, reference);
  };
  const chartYaml = fileEntry("mychart/Chart.yaml", minimalChart["Chart.yaml"]);
  await store(
    "localhost:5000/evil/a:1",
    "mychart",
    await tgz([chartYaml, fileEntry("../evil", "x")]),
  );
  await store("localhost:5000/evil/b:1", "../../x", await tgz([chartYaml]));

  const escape = expectCode(await box.run(["chart", "export", "localhost:5000/evil/a:1"]), 1);
  assert.equal(
    escape.stderr,
    'Error: unsafe chart archive: entry "../evil" refers to a parent directory ("..")\n',
  );
  const badName = expectCode(await box.run(["chart", "export", "localhost:5000/evil/b:1"]), 1);
  assert.match(
    badName.stderr,
    /^Error: .*config sha256:[0-9a-f]{64}: name "\.\.\/\.\.\/x" is invalid/,
  );
  const entries = [];
  for await (const e of Deno.readDir(box.dir)) entries.push(e.name);
  assert.deepEqual(entries.sort(), ["helm"]);
});

Deno.test("export refuses a package altered in the cache and writes nothing", async () => {
  await using box = await sandbox();
  const saved = parseSave(await box.run(["chart", "save", fixtureChart, ref]), "latest");
  const path = `${box.helmHome}/registry/blobs/sha256/${saved.content.slice("sha256:".length)}`;
  const altered = await Deno.readFile(path);
  altered[altered.byteLength - 10] ^= 1; // in gzip's trailer: a valid package, other bytes
  for (const [bytes, why] of [[altered, "digest"], [altered.slice(1), "size"]] as const) {
    await Deno.chmod(path, 0o644);
    await Deno.writeFile(path, bytes);
    const result = expectCode(
      await box.run(["chart", "export", ref, "--destination", "out"]),
      1,
    );
    assert.match(result.stderr, new RegExp(`^Error: .*${saved.content}`), why);
    assert.deepEqual(await Deno.lstat(`${box.dir}/out`).catch(() => undefined), undefined, why);
  }
});

Deno.test("bad input is one error line, a non-zero exit, and an untouched cache", async () => {
  await using box = await sandbox();
  expectCode(await box.run(["chart", "save", fixtureChart, ref]), 0);
  await writeTree(box.dir, {
    "nochart/values.yaml": "a: 1\n",
    "malformed/Chart.yaml": "apiVersion: v2\nname: [mychart\nversion: 1.0.0\n",
    "badversion/Chart.yaml": "apiVersion: v2\nname: mychart\nversion: 1.x\n",
    "noname/Chart.yaml": "apiVersion: v2\nversion: 1.0.0\n",
    "badvalues/Chart.yaml": "apiVersion: v2\nname: mychart\nversion: 1.0.0\n",
    "badvalues/values.yaml": "image: nginx\n  tag: 1.0\n",
    "listvalues/Chart.yaml": "apiVersion: v2\nname: mychart\nversion: 1.0.0\n",
    "listvalues/values.yaml": "- a\n- b\n",
  });
  const digest = "sha256:" + "a".repeat(64);
  const cases: [string[], number, string | RegExp][] = [
    [["chart", "save", "missing/", ref], 1, "Error: missing: no such directory"],
    [["chart", "save", "nochart", ref], 1, "Error: nochart: no Chart.yaml (not a chart directory)"],
    [["chart", "save", "malformed", ref], 1, /^Error: malformed\/Chart\.yaml:3: malformed YAML: /],
    [
      ["chart", "save", "badversion", ref],
      1,
      'Error: badversion/Chart.yaml: version "1.x" is not SemVer',
    ],
    [["chart", "save", "noname", ref], 1, "Error: noname/Chart.yaml: name is required"],
    // Helm refuses to package these too ("cannot load values.yaml").
    [
      ["chart", "save", "badvalues", ref],
      1,
      /^Error: badvalues\/values\.yaml:\d+: malformed YAML: /,
    ],
    [
      ["chart", "save", "listvalues", ref],
      1,
      "Error: listvalues/values.yaml: values must be a mapping of names to values",
    ],
    [
      ["chart", "save", fixtureChart, "localhost:5000/MyRepo/mychart"],
      2,
      /^Error: invalid reference .*invalid repository name/,
    ],
    [
      ["chart", "save", fixtureChart, "localhost:5000//mychart"],
      2,
      /^Error: invalid reference .*empty path component/,
    ],
    [
      ["chart", "save", fixtureChart, "localhost:5000/myrepo/mychart:bad!tag"],
      2,
      /^Error: invalid reference .*invalid tag "bad!tag"/,
    ],
    [
      ["chart", "save", fixtureChart, "localhost:5000/myrepo/mychart@sha256:xyz"],
      2,
      /^Error: invalid reference .*malformed digest/,
    ],
    [
      ["chart", "save", fixtureChart, `localhost:5000/myrepo/mychart@${digest}`],
      2,
      /^Error: cannot save to .*: a digest cannot be given, only a tag$/,
    ],
    [["chart", "save", fixtureChart], 2, /^Error: missing REF: /],
    [
      ["chart", "export", "localhost:5000/myrepo/mychart:nope"],
      1,
      'Error: chart "localhost:5000/myrepo/mychart:nope" not found in the cache',
    ],
    [["chart", "export", "localhost:5000/Bad/mychart"], 2, /^Error: invalid reference /],
  ];
  const before = await treeSnapshot(box.helmHome);
  for (const [args, code, message] of cases) {
    const result = expectCode(await box.run(args), code);
    const lines = result.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, `${args.join(" ")}: ${result.stderr}`);
    if (typeof message === "string") assert.equal(lines[0], message);
    else assert.match(lines[0], message);
    assert.equal(result.stdout, "", args.join(" "));
  }
  assert.deepEqual(await treeSnapshot(box.helmHome), before);
  assert.deepEqual((await readTree(box.dir)).mychart, undefined, "export wrote nothing");
});

Deno.test("a failing save on a fresh machine creates no cache at all", async () => {
  await using box = await sandbox();
  await writeTree(`${box.dir}/c`, {
    "Chart.yaml": "apiVersion: v2\nname: mychart\nversion: 1.x\n",
  });
  expectCode(await box.run(["chart", "save", "c", ref]), 1);
  assert.deepEqual(await treeSnapshot(box.helmHome), []);
});
