/**
 * Charts Helm 3 loads must save. Each case is a leniency of Helm 3's loader (pkg/chart/loader,
 * pkg/chart/metadata.go, sigs.k8s.io/yaml over go-yaml v2), and the chart's files go into the
 * package byte for byte: nothing is filled in or rewritten.
 */
import assert from "node:assert/strict";
import { createTarDecoder } from "modern-tar";
import { OciLayout } from "../../core/cache/layout.ts";
import { decodeConfig } from "../../core/chart/config.ts";
import { saveChart } from "../../core/chart/save.ts";
import { expectCode, sandbox } from "../helpers/cli.ts";
import { tempDir, writeTree } from "../helpers/charts.ts";

/** The package's files (paths without the top directory) and their bytes. */
async function packaged(cache: OciLayout, content: Parameters<OciLayout["fetch"]>[0]) {
  const files: Record<string, Uint8Array> = {};
  const entries = (await cache.fetch(content))
    .pipeThrough(new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array>)
    .pipeThrough(createTarDecoder());
  for await (const entry of entries) {
    const bytes = new Uint8Array(await new Response(entry.body).arrayBuffer());
    if (entry.header.type === "file") files[entry.header.name.replace(/^[^/]*\//, "")] = bytes;
  }
  return files;
}

/** Saves `files` as a chart; returns its metadata and the packaged files, checked unchanged. */
async function save(files: Record<string, string | Uint8Array>) {
  await using tmp = await tempDir();
  await writeTree(`${tmp.dir}/chart`, files);
  using cache = await OciLayout.open(`${tmp.dir}/cache`);
  const result = await saveChart(cache, `${tmp.dir}/chart`, "localhost:5000/team/chart");
  const inPackage = await packaged(cache, result.content);
  for (const [name, content] of Object.entries(files)) {
    const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content;
    assert.deepEqual(inPackage[name], bytes, `${name} is packaged byte for byte`);
  }
  const config = new Uint8Array(await new Response(await cache.fetch(result.config)).arrayBuffer());
  assert.deepEqual(decodeConfig(config, "config"), result.meta, "the config holds the metadata");
  return { meta: result.meta, tag: result.ref.tag };
}

Deno.test("Helm 2 charts without apiVersion load as v1", async () => {
  const { meta } = await save({ "Chart.yaml": "name: legacy\nversion: 0.3.1\n" });
  assert.equal(meta.apiVersion, "v1");
  assert.equal(
    (await save({ "Chart.yaml": 'apiVersion: ""\nname: a\nversion: 1.0.0\n' }))
      .meta.apiVersion,
    "v1",
  );
});

Deno.test("a key given twice in Chart.yaml: the last one wins", async () => {
  const { meta } = await save({
    "Chart.yaml": "apiVersion: v1\nname: twice\nversion: 1.0.0\ndescription: first\n" +
      "description: second\nmaintainers:\n  - name: a\n    name: b\n",
  });
  assert.equal(meta.description, "second");
  assert.deepEqual(meta.maintainers, [{ name: "b" }]);
});

Deno.test("v1 charts with requirements.yaml and requirements.lock", async () => {
  const { meta } = await save({
    "Chart.yaml": "apiVersion: v1\nname: app\nversion: 1.2.0\n",
    "requirements.yaml": "dependencies:\n  - name: redis\n    version: ~10.5.7\n" +
      "    repository: https://charts.example.com\n    condition: redis.enabled\n",
    "requirements.lock":
      "dependencies:\n- name: redis\n  repository: https://charts.example.com\n" +
      "  version: 10.5.7\ndigest: sha256:abc\ngenerated: 2019-06-10T10:20:30Z\n",
    // As helm package, save needs the declared dependencies in charts/.
    "charts/redis/Chart.yaml": "apiVersion: v1\nname: redis\nversion: 10.5.7\n",
  });
  assert.deepEqual(meta.dependencies, [{
    name: "redis",
    version: "~10.5.7",
    repository: "https://charts.example.com",
    condition: "redis.enabled",
  }]);
  // Helm reads requirements.yaml for a v2 chart too (with a warning), over Chart.yaml's list.
  const v2 = await save({
    "Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.2.0\ndependencies:\n  - name: old\n" +
      "    repository: old-repo\n",
    "charts/new/Chart.yaml": "apiVersion: v2\nname: new\nversion: 1.0.0\n",
    "requirements.yaml": "dependencies:\n  - name: new\n    repository: new-repo\n",
  });
  assert.deepEqual(v2.meta.dependencies, [{ name: "new", repository: "new-repo" }]);
});

Deno.test("versions Helm's SemVer parser takes: a leading v, no minor or patch", async () => {
  for (const version of ["v1.2.3", "1.2", "1", "v2", "01.2.3", "1.2.3-alpha.beta+build.7"]) {
    const { meta, tag } = await save({ "Chart.yaml": `name: a\nversion: ${version}\n` });
    assert.equal(meta.version, version);
    assert.equal(tag, version.replace("+", "_"));
  }
});

Deno.test("field names match case-insensitively, as Go's JSON decoding does", async () => {
  const { meta } = await save({
    "Chart.yaml": "APIVersion: v2\nName: upper\nVERSION: 1.0.0\nAppVersion: '3'\n" +
      "maintainers:\n  - Name: bob\n    EMAIL: bob@example.com\n",
  });
  assert.equal(meta.apiVersion, "v2");
  assert.equal(meta.name, "upper");
  assert.equal(meta.version, "1.0.0");
  assert.equal(meta.appVersion, "3");
  assert.deepEqual(meta.maintainers, [{ name: "bob", email: "bob@example.com" }]);
});

Deno.test("YAML 1.1 booleans, a byte order mark and a second document", async () => {
  const yes = await save({ "Chart.yaml": "name: a\nversion: 1.0.0\ndeprecated: yes\n" });
  assert.equal(yes.meta.deprecated, true);
  const bom = await save({ "Chart.yaml": "\uFEFFapiVersion: v2\nname: bom\nversion: 1.0.0\n" });
  assert.equal(bom.meta.name, "bom");
  // go-yaml's Unmarshal reads the first document only.
  const docs = await save({ "Chart.yaml": "name: a\nversion: 1.0.0\n---\nname: [broken\n" });
  assert.equal(docs.meta.name, "a");
});

Deno.test("chart names Helm takes: any one path component", async () => {
  for (const name of ["My Chart", "ünï", "a@b"]) {
    assert.equal((await save({ "Chart.yaml": `name: ${name}\nversion: 1.0.0\n` })).meta.name, name);
  }
});

Deno.test("dependencies without a name, and other apiVersions, load", async () => {
  const { meta } = await save({
    "Chart.yaml": "apiVersion: v3\nname: a\nversion: 1.0.0\ndependencies:\n  - repository: x\n",
  });
  assert.equal(meta.apiVersion, "v3");
  assert.deepEqual(meta.dependencies, [{ name: "", repository: "x" }]);
});

Deno.test("chart save of a Helm 2 chart with a repeated key, from the command line", async () => {
  await using box = await sandbox();
  await writeTree(`${box.dir}/old`, {
    "Chart.yaml": "name: old\nversion: 0.1.0\nhome: a\nhome: b\n",
    "requirements.yaml": "dependencies:\n  - name: redis\n    repository: '@stable'\n",
    "charts/redis/Chart.yaml": "name: redis\nversion: 1.0.0\n",
  });
  const result = expectCode(await box.run(["chart", "save", "old", "localhost:5000/t/old"]), 0);
  assert.match(result.stdout, /^0\.1\.0: saved$/m);
  assert.equal(result.stderr, "");
});
