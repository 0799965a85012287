/**
 * `chart dependency update|build|list` (alias `dep`): oci:// (ranges, a digest pin), a classic
 * https-style repository served locally, file:// — charts/ filled, Chart.lock written as Helm
 * writes it (Helm 3 run on the same chart when built), build honouring the lock, and `chart save`
 * refusing a chart whose dependencies are missing unless --dependency-update.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { connectRepository } from "../../core/transport/repository.ts";
import { readTree, writeTree } from "../helpers/charts.ts";
import { indexYaml, pack, serve } from "../helpers/classic_repo.ts";
import { expectCode, type Sandbox, sandbox } from "../helpers/cli.ts";
import { runPeer, testWithPeers } from "../helpers/peers.ts";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { pushChartVersion } from "../helpers/remote_charts.ts";

/** A classic repository of `mysql` versions, served on loopback. */
async function classicRepository(dir: string, versions: string[]) {
  const files = new Map<string, Uint8Array>();
  const charts: [string, string, Uint8Array, string][] = [];
  for (const version of versions) {
    const tgz = await pack(dir, "mysql", version);
    files.set(`/mysql-${version}.tgz`, tgz);
    charts.push(["mysql", version, tgz, `mysql-${version}.tgz`]);
  }
  files.set("/index.yaml", await indexYaml(charts));
  const served = serve(files);
  return { url: served.url, files, [Symbol.asyncDispose]: () => served[Symbol.asyncDispose]() };
}

async function parentChart(
  sb: Sandbox,
  registry: TestRegistry,
  repoUrl: string,
  extra = "",
): Promise<string> {
  await writeTree(`${sb.dir}/local`, {
    "Chart.yaml": "apiVersion: v2\nname: local\nversion: 0.3.0\n",
  });
  await writeTree(`${sb.dir}/parent`, {
    "Chart.yaml": "apiVersion: v2\nname: parent\nversion: 1.0.0\ndependencies:\n" +
      `- name: redis\n  version: ^1.0.0\n  repository: oci://${registry.host}/deps\n` +
      `- name: mysql\n  version: ~1.6.0\n  repository: ${repoUrl}\n` +
      "- name: local\n  version: '>=0.1.0'\n  repository: file://../local\n" + extra,
    "templates/a.yaml": "kind: A\n",
  });
  return `${sb.dir}/parent`;
}

Deno.test("dependency update: newest allowed versions into charts/, Chart.lock as Helm's", async () => {
  await using registry = await startRegistry();
  await using sb = await sandbox();
  await using repo = await classicRepository(sb.dir, ["1.6.1", "1.6.9", "1.7.0"]);
  using deps = connectRepository(`${registry.host}/deps/redis`);
  for (const v of ["1.0.0", "1.2.0", "2.0.0"]) {
    await pushChartVersion(deps, { name: "redis", version: v });
  }
  using pinRepo = connectRepository(`${registry.host}/deps/pinned`);
  const pin = await pushChartVersion(pinRepo, { name: "pinned", version: "1.0.0" });
  const dir = await parentChart(
    sb,
    registry,
    repo.url,
    `- name: pinned\n  version: 1.0.0@${pin.digest}\n  repository: oci://${registry.host}/deps\n`,
  );

  // save refuses the chart while charts/ lacks its dependencies.
  const refused = expectCode(
    await sb.run(["chart", "save", "parent", `${registry.host}/app/parent`]),
    1,
  );
  assert.match(
    refused.stderr,
    /found in Chart\.yaml, but missing in charts\/ directory: redis, mysql, local, pinned/,
  );

  const out = expectCode(await sb.run(["chart", "dep", "update", "parent"]), 0);
  assert.equal(
    out.stdout,
    "Saved charts/redis-1.2.0.tgz\nSaved charts/mysql-1.6.9.tgz\nSaved charts/local-0.3.0.tgz\n" +
      "Saved charts/pinned-1.0.0.tgz\nWrote Chart.lock\n",
  );
  assert.deepEqual(
    await Deno.readFile(`${dir}/charts/mysql-1.6.9.tgz`),
    repo.files.get("/mysql-1.6.9.tgz"),
  );
  const lock = parse(await Deno.readTextFile(`${dir}/Chart.lock`));
  assert.deepEqual(lock.dependencies, [
    { name: "redis", repository: `oci://${registry.host}/deps`, version: "1.2.0" },
    { name: "mysql", repository: repo.url, version: "1.6.9" },
    { name: "local", repository: "file://../local", version: "0.3.0" },
    { name: "pinned", repository: `oci://${registry.host}/deps`, version: `1.0.0@${pin.digest}` },
  ]);
  assert.match(lock.digest, /^sha256:[a-f0-9]{64}$/);
  assert.match(lock.generated, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);

  const listed = expectCode(await sb.run(["chart", "dependency", "list", "parent"]), 0);
  assert.match(listed.stdout, /^NAME\s+VERSION\s+REPOSITORY\s+STATUS\n/);
  assert.match(listed.stdout, /^redis\s+\^1\.0\.0\s+oci:\S+\s+ok$/m);
  assert.match(listed.stdout, /^mysql\s+~1\.6\.0\s+http:\S+\s+ok$/m);

  // Saved now; a second update keeps the lock (same digest).
  expectCode(await sb.run(["chart", "save", "parent", `${registry.host}/app/parent`]), 0);
  const again = expectCode(await sb.run(["chart", "dep", "update", "parent"]), 0);
  assert.match(again.stdout, /Chart\.lock is up to date\n$/);
  assert.equal(parse(await Deno.readTextFile(`${dir}/Chart.lock`)).generated, lock.generated);

  // build takes the locked versions even when newer ones appear; update moves on.
  await pushChartVersion(deps, { name: "redis", version: "1.3.0" });
  await Deno.remove(`${dir}/charts`, { recursive: true });
  const missing = expectCode(await sb.run(["chart", "dep", "list", "parent", "-o", "json"]), 0);
  assert.deepEqual(JSON.parse(missing.stdout).map((s: { status: string }) => s.status), [
    "missing",
    "missing",
    "missing",
    "missing",
  ]);
  expectCode(await sb.run(["chart", "dep", "build", "parent"]), 0);
  assert.ok(await Deno.stat(`${dir}/charts/redis-1.2.0.tgz`));
  expectCode(await sb.run(["chart", "dep", "update", "parent"]), 0);
  const tree = await readTree(`${dir}/charts`);
  assert.deepEqual(Object.keys(tree).filter((f) => f.startsWith("redis")), ["redis-1.3.0.tgz"]);

  // A lock that no longer matches Chart.yaml is refused by build.
  const chartYaml = await Deno.readTextFile(`${dir}/Chart.yaml`);
  await Deno.writeTextFile(`${dir}/Chart.yaml`, chartYaml.replace("~1.6.0", "~1.7.0"));
  const stale = expectCode(await sb.run(["chart", "dep", "build", "parent"]), 1);
  assert.match(
    stale.stderr,
    /the lock file \(Chart\.lock\) is out of sync with the dependencies file/,
  );
});

Deno.test("chart save --dependency-update fills charts/ first", async () => {
  await using registry = await startRegistry();
  await using sb = await sandbox();
  await using repo = await classicRepository(sb.dir, ["1.6.2"]);
  using deps = connectRepository(`${registry.host}/deps/redis`);
  await pushChartVersion(deps, { name: "redis", version: "1.0.0" });
  await parentChart(sb, registry, repo.url);
  const out = expectCode(
    await sb.run(["chart", "save", "parent", `${registry.host}/app/parent`, "--dependency-update"]),
    0,
  );
  assert.match(out.stdout, /^Saved charts\/redis-1\.0\.0\.tgz$/m);
  assert.match(out.stdout, /1\.0\.0: saved$/m);
});

Deno.test("dependency update: apiVersion v1 reads requirements.yaml and writes requirements.lock", async () => {
  await using sb = await sandbox();
  await writeTree(`${sb.dir}/sub`, { "Chart.yaml": "apiVersion: v1\nname: sub\nversion: 0.2.0\n" });
  await writeTree(`${sb.dir}/old`, {
    "Chart.yaml": "apiVersion: v1\nname: old\nversion: 1.0.0\n",
    "requirements.yaml":
      "dependencies:\n- name: sub\n  version: 0.2.x\n  repository: file://../sub\n",
  });
  const out = expectCode(await sb.run(["chart", "dep", "update", "old"]), 0);
  assert.equal(out.stdout, "Saved charts/sub-0.2.0.tgz\nWrote requirements.lock\n");
  const lock = parse(await Deno.readTextFile(`${sb.dir}/old/requirements.lock`));
  assert.deepEqual(lock.dependencies, [{
    name: "sub",
    repository: "file://../sub",
    version: "0.2.0",
  }]);
  const { listDependencies } = await import("../../mod.ts");
  assert.deepEqual(await listDependencies(`${sb.dir}/old`), [
    { name: "sub", version: "0.2.x", repository: "file://../sub", status: "ok" },
  ]);
  const usage = expectCode(await sb.run(["chart", "dep", "upgrade", "old"]), 2);
  assert.equal(usage.stderr, 'Error: unknown action "upgrade": use update, build or list\n');
});

testWithPeers(
  "dependency update writes the Chart.lock Helm 3 writes, and Helm builds from ours",
  ["helm3"],
  async () => {
    await using registry = await startRegistry();
    await using sb = await sandbox();
    await using repo = await classicRepository(sb.dir, ["1.6.1", "1.6.9"]);
    using deps = connectRepository(`${registry.host}/deps/redis`);
    for (const v of ["1.0.0", "1.2.0"]) await pushChartVersion(deps, { name: "redis", version: v });
    const dir = await parentChart(sb, registry, repo.url);
    const helmEnv = {
      HOME: sb.dir,
      HELM_CONFIG_HOME: `${sb.dir}/hc`,
      HELM_CACHE_HOME: `${sb.dir}/hcache`,
      HELM_DATA_HOME: `${sb.dir}/hdata`,
    };
    const helm = async (...args: string[]) =>
      expectCode(await runPeer("helm3", args, { env: helmEnv }), 0);
    await helm("repo", "add", "classic", repo.url);
    await helm("dependency", "update", dir, "--plain-http");
    const helmLock = parse(await Deno.readTextFile(`${dir}/Chart.lock`));
    const helmCharts = Object.keys(await readTree(`${dir}/charts`)).sort();
    await Deno.remove(`${dir}/Chart.lock`);
    await Deno.remove(`${dir}/charts`, { recursive: true });

    expectCode(await sb.run(["chart", "dep", "update", "parent"]), 0);
    const ours = parse(await Deno.readTextFile(`${dir}/Chart.lock`));
    assert.deepEqual(ours.dependencies, helmLock.dependencies);
    assert.equal(ours.digest, helmLock.digest);
    assert.deepEqual(Object.keys(await readTree(`${dir}/charts`)).sort(), helmCharts);
    // Helm accepts our lock: build checks its digest against Chart.yaml.
    await Deno.remove(`${dir}/charts`, { recursive: true });
    await helm("dependency", "build", dir, "--plain-http");
  },
);
