/**
 * `repo import`: a classic repository (index.yaml + .tgz + .prov, served by a local HTTP server
 * built from tests/fixtures charts) moved into a real registry in Helm's layout; digests checked,
 * failures listed without stopping the others, a re-run pushing nothing, --chart/--version,
 * --index-out.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { loadChartDir } from "../../core/chart/load.ts";
import { packChart } from "../../core/chart/package.ts";
import { digestOf } from "../../core/oci/descriptor.ts";
import { helmConfig, helmContent, helmProvenance } from "../../core/oci/media_types.ts";
import { connectRepository } from "../../core/transport/repository.ts";
import { fixtureChart, tempDir, writeTree } from "../helpers/charts.ts";
import { expectCode, sandbox } from "../helpers/cli.ts";
import { startFaultProxy } from "../helpers/fault_proxy.ts";
import { startRegistry } from "../helpers/registry.ts";

/** The fixture chart at `version` (and renamed to `name`), packaged. */
async function packFixture(dir: string, name: string, version: string): Promise<Uint8Array> {
  const chartDir = `${dir}/src-${name}-${version}`;
  await Deno.mkdir(chartDir, { recursive: true });
  for await (const entry of Deno.readDir(fixtureChart)) {
    if (entry.isFile) {
      await Deno.copyFile(`${fixtureChart}/${entry.name}`, `${chartDir}/${entry.name}`);
    }
  }
  await writeTree(chartDir, {
    "Chart.yaml": `apiVersion: v2\nname: ${name}\ndescription: A Helm chart\nversion: ${version}\n`,
    "templates/service.yaml": await Deno.readTextFile(`${fixtureChart}/templates/service.yaml`),
  });
  return await new Response(packChart(await loadChartDir(chartDir))).bytes();
}

const hex = async (bytes: Uint8Array) => (await digestOf(bytes)).slice("sha256:".length);

/** A classic repository: files by path, and the HTTP server's request log. */
async function classicRepository(dir: string) {
  const files = new Map<string, Uint8Array>();
  const entries: Record<string, unknown[]> = {};
  const add = async (name: string, version: string, extra: Record<string, unknown> = {}) => {
    const tgz = await packFixture(dir, name, version);
    const file = `charts/${name}-${version}.tgz`;
    files.set(`/${file}`, tgz);
    (entries[name] ??= []).push({
      apiVersion: "v2",
      name,
      version,
      description: "A Helm chart",
      digest: await hex(tgz),
      urls: [file],
      created: "2024-01-02T03:04:05Z",
      ...extra,
    });
    return tgz;
  };
  const tgz = {
    "mychart-2.6.0": await add("mychart", "2.6.0"),
    "mychart-2.7.0": await add("mychart", "2.7.0"),
    "mychart-3.0.0-rc.1": await add("mychart", "3.0.0-rc.1"),
    "other-0.1.0": await add("other", "0.1.0"),
  };
  const prov = new TextEncoder().encode("-----BEGIN PGP SIGNED MESSAGE-----\nnot checked\n");
  files.set("/charts/mychart-2.7.0.tgz.prov", prov);
  await add("broken", "1.0.0", { digest: "0".repeat(64) });
  (entries.gone ??= []).push({ name: "gone", version: "1.0.0", urls: ["charts/gone-1.0.0.tgz"] });
  (entries.odd ??= []).push({ name: "odd", version: "not-semver", urls: ["x.tgz"] });
  files.set(
    "/index.yaml",
    new TextEncoder().encode(JSON.stringify({ apiVersion: "v1", entries })),
  );
  const log: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const path = new URL(request.url).pathname;
    log.push(path);
    const body = files.get(path);
    return body ? new Response(body as BodyInit) : new Response("not found", { status: 404 });
  });
  const url = `http://127.0.0.1:${server.addr.port}`;
  return { url, tgz, prov, log, files, [Symbol.asyncDispose]: () => server.shutdown() };
}

Deno.test("repo import: every version in Helm's layout, failures listed, a re-run pushes nothing", async () => {
  await using tmp = await tempDir();
  await using repo = await classicRepository(tmp.dir);
  await using registry = await startRegistry();
  await using proxy = startFaultProxy(registry.url);
  await using sb = await sandbox();
  const ns = `${proxy.host}/imported`;

  const first = expectCode(
    await sb.run(["repo", "import", repo.url, ns, "--index-out", "oci.yaml"]),
    3,
  );
  const lines = first.stdout.trimEnd().split("\n");
  assert.deepEqual(lines.slice(-1), ["Imported 4 chart versions, 0 already there, 3 failed"]);
  assert.match(
    first.stdout,
    new RegExp(
      `^mychart 2\\.7\\.0: pushed ${ns}/mychart:2\\.7\\.0 \\(sha256:[a-f0-9]{64}, with provenance\\)$`,
      "m",
    ),
  );
  assert.match(first.stdout, /^mychart 3\.0\.0-rc\.1: pushed /m);
  assert.match(first.stderr, /^Error: odd not-semver: index\.yaml: invalid version "not-semver"$/m);
  assert.match(
    first.stderr,
    /^Error: broken 1\.0\.0: .*broken-1\.0\.0\.tgz has digest sha256:[a-f0-9]{64}, but index\.yaml says sha256:0{64}$/m,
  );
  assert.match(first.stderr, /^Error: gone 1\.0\.0: .*gone-1\.0\.0\.tgz answered HTTP 404$/m);
  assert.match(
    first.stderr,
    /3 of 7 chart versions failed to import: odd not-semver, broken 1\.0\.0, gone 1\.0\.0/,
  );

  // Helm's layout: the .tgz byte for byte as content, the .prov as provenance.
  using mychart = connectRepository(`${registry.host}/imported/mychart`);
  assert.deepEqual((await Array.fromAsync(mychart.tags())).sort(), [
    "2.6.0",
    "2.7.0",
    "3.0.0-rc.1",
  ]);
  const { bytes } = await mychart.fetchReference("2.7.0");
  const manifest = JSON.parse(new TextDecoder().decode(bytes));
  assert.equal(manifest.config.mediaType, helmConfig);
  assert.deepEqual(manifest.layers.map((l: { mediaType: string }) => l.mediaType), [
    helmContent,
    helmProvenance,
  ]);
  assert.equal(manifest.layers[0].digest, await digestOf(repo.tgz["mychart-2.7.0"]));
  assert.equal(manifest.layers[1].digest, await digestOf(repo.prov));
  assert.equal(manifest.annotations["org.opencontainers.image.created"], "2024-01-02T03:04:05Z");
  expectCode(
    await sb.run([
      "chart",
      "pull",
      `oci://${registry.host}/imported/other`,
      "--version",
      "0.1.0",
      "-d",
      "out",
    ]),
    0,
  );
  assert.deepEqual(await Deno.readFile(`${sb.dir}/out/other-0.1.0.tgz`), repo.tgz["other-0.1.0"]);

  // --index-out: the imported versions, urls at oci://, digests kept.
  const index = parse(await Deno.readTextFile(`${sb.dir}/oci.yaml`));
  assert.deepEqual(Object.keys(index.entries).sort(), ["mychart", "other"]);
  const v27 = index.entries.mychart.find((e: { version: string }) => e.version === "2.7.0");
  assert.deepEqual(v27.urls, [`oci://${ns}/mychart:2.7.0`]);
  assert.equal(v27.digest, (await digestOf(repo.tgz["mychart-2.7.0"])).slice(7));

  // A re-run: nothing downloaded or written for what is there.
  const writes = () => proxy.log.filter((r) => r.method !== "GET" && r.method !== "HEAD").length;
  const [before, downloads] = [writes(), repo.log.length];
  const again = expectCode(
    await sb.run(["repo", "import", `${repo.url}/index.yaml`, ns, "--chart", "mychart"]),
    0,
  );
  assert.match(again.stdout, /^mychart 2\.6\.0: already in /m);
  assert.match(again.stdout, /Imported 0 chart versions, 3 already there, 0 failed\n$/);
  assert.equal(writes(), before);
  assert.deepEqual(repo.log.slice(downloads), ["/index.yaml"]);
});

Deno.test("repo import: --chart and --version select; bad input is one line", async () => {
  await using tmp = await tempDir();
  await using repo = await classicRepository(tmp.dir);
  await using registry = await startRegistry();
  await using sb = await sandbox();
  const ns = `${registry.host}/sel`;

  const select = async (...more: string[]) =>
    expectCode(
      await sb.run([
        "repo",
        "import",
        repo.url,
        ns,
        "--chart",
        "mychart",
        "--version",
        ">=2.7.0",
        ...more,
      ]),
      0,
    );
  const json = JSON.parse((await select("-o", "json")).stdout);
  assert.deepEqual(json.results.map((r: { version: string }) => r.version), ["2.7.0"]);
  assert.equal(json.results[0].provenance, true);
  const devel = await select("--devel");
  assert.match(devel.stdout, /^mychart 3\.0\.0-rc\.1: pushed /m);
  assert.match(devel.stdout, /^mychart 2\.7\.0: already in /m);

  const none = expectCode(await sb.run(["repo", "import", repo.url, ns, "--chart", "nope"]), 1);
  assert.equal(
    none.stderr,
    'Error: the index lists no chart "nope" (it lists broken, gone, mychart, other)\n',
  );
  const range = ["repo", "import", repo.url, ns, "--chart", "mychart", "--version", "^9"];
  const noVersion = expectCode(await sb.run(range), 1);
  assert.equal(
    noVersion.stderr,
    'Error: the index lists no chart "mychart" with a version in "^9"\n',
  );
  const notRepo = expectCode(await sb.run(["repo", "import", `${repo.url}/missing/`, ns]), 1);
  assert.match(
    notRepo.stderr,
    /^Error: repository index: http:\/\/.*\/missing\/index\.yaml answered HTTP 404\n$/,
  );
  const usage = expectCode(await sb.run(["repo", "import", repo.url]), 2);
  assert.equal(
    usage.stderr,
    'Error: missing NAMESPACE; run "h3 repo import --help" for its usage\n',
  );
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closed = `127.0.0.1:${listener.addr.port}`; // nothing listens there once closed
  listener.close();
  const refused = expectCode(await sb.run(["repo", "import", `http://${closed}`, ns]), 1);
  assert.equal(
    refused.stderr,
    `Error: repository index: cannot connect to ${closed}: connection refused\n`,
  );
});

Deno.test("repo import resumes: a version that failed is pushed by the next run, alone", async () => {
  await using tmp = await tempDir();
  await using repo = await classicRepository(tmp.dir);
  await using registry = await startRegistry();
  await using sb = await sandbox();
  const ns = `${registry.host}/resume`;
  const other = repo.files.get("/charts/other-0.1.0.tgz")!;
  repo.files.delete("/charts/other-0.1.0.tgz"); // the server loses it for a while

  const partial = expectCode(await sb.run(["repo", "import", repo.url, ns]), 3);
  assert.match(partial.stderr, /^Error: other 0\.1\.0: .*other-0\.1\.0\.tgz answered HTTP 404$/m);
  assert.match(partial.stdout, /^mychart 2\.7\.0: pushed /m);
  repo.files.set("/charts/other-0.1.0.tgz", other);
  const resumed = expectCode(await sb.run(["repo", "import", repo.url, ns]), 3);
  assert.match(resumed.stdout, /^other 0\.1\.0: pushed /m);
  assert.match(resumed.stdout, /Imported 1 chart version, 3 already there, 3 failed\n$/);
  using pushed = connectRepository(`${registry.host}/resume/other`);
  assert.deepEqual(await Array.fromAsync(pushed.tags()), ["0.1.0"]);
});
