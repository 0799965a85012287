/**
 * `chart dependency` with what Helm charts use beyond plain URLs: `alias` (one chart under two
 * names: one archive in charts/, the lock naming the chart), `condition`/`tags` (carried, listed,
 * not acted on at download time, as Helm), repositories named `@NAME` / `alias:NAME` in Helm's
 * repositories.yaml (the lock holds their URL, as Helm's), and that repository's credentials for
 * a classic repository that asks for basic auth; h3's registry login for an oci:// dependency. Helm 3 and
 * Helm 4 run on the same chart write the same lock.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { readTree, writeTree } from "../helpers/charts.ts";
import { indexYaml, pack, serve } from "../helpers/classic_repo.ts";
import { expectCode, type Sandbox, sandbox } from "../helpers/cli.ts";
import { runPeer, testWithPeers } from "../helpers/peers.ts";
import { startHtpasswdRegistry } from "../helpers/htpasswd_registry.ts";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { pushChartVersion } from "../helpers/remote_charts.ts";
import { connectRepository } from "../../core/transport/repository.ts";

/**
 * A registry with redis 1.0.0 and 1.2.0, a classic repository asking for me:s3cret with mysql
 * 1.6.1 and 1.6.9, Helm's repositories.yaml naming it `private`, and a parent chart using both.
 */
async function setup(sb: Sandbox, registry: TestRegistry) {
  using redis = connectRepository(`${registry.host}/deps/redis`);
  for (const v of ["1.0.0", "1.2.0"]) await pushChartVersion(redis, { name: "redis", version: v });
  const files = new Map<string, Uint8Array>();
  const charts: [string, string, Uint8Array, string][] = [];
  for (const v of ["1.6.1", "1.6.9"]) {
    const bytes = await pack(sb.dir, "mysql", v);
    files.set(`/mysql-${v}.tgz`, bytes);
    charts.push(["mysql", v, bytes, `mysql-${v}.tgz`]);
  }
  files.set("/index.yaml", await indexYaml(charts));
  const repo = serve(files, { auth: "me:s3cret" });
  const repositories = `${sb.dir}/repositories.yaml`;
  await Deno.writeTextFile(
    repositories,
    `apiVersion: ""\nrepositories:\n- name: private\n  url: ${repo.url}\n` +
      "  username: me\n  password: s3cret\n",
  );
  await writeTree(`${sb.dir}/parent`, {
    "Chart.yaml": "apiVersion: v2\nname: parent\nversion: 1.0.0\ndependencies:\n" +
      `- name: redis\n  version: ^1.0.0\n  repository: oci://${registry.host}/deps\n` +
      "  alias: cache\n  condition: cache.enabled\n  tags:\n  - backend\n" +
      `- name: redis\n  version: ^1.0.0\n  repository: oci://${registry.host}/deps\n` +
      "  alias: queue\n" +
      "- name: mysql\n  version: ~1.6.0\n  repository: '@private'\n" +
      "- name: mysql\n  version: ~1.6.0\n  repository: alias:private\n  alias: db2\n",
    "values.yaml": "cache:\n  enabled: false\n",
  });
  return { repo, repositories, dir: `${sb.dir}/parent` };
}

Deno.test("dependency update: aliases, condition/tags, @NAME repositories with credentials", async () => {
  await using registry = await startRegistry();
  await using sb = await sandbox();
  const { repo, repositories, dir } = await setup(sb, registry);
  await using _repo = repo;
  const env = { HELM_REPOSITORY_CONFIG: repositories };

  // Without Helm's repositories.yaml the names mean nothing: Helm's refusal.
  const unknown = expectCode(await sb.run(["chart", "dep", "update", "parent"]), 1);
  assert.equal(
    unknown.stderr,
    "Error: no repository definition for @private, alias:private in Helm's repositories.yaml; " +
      'add them with "helm repo add NAME URL" (or write the URL)\n',
  );

  const out = expectCode(await sb.run(["chart", "dep", "update", "parent"], { env }), 0);
  // One archive per chart version, whatever the aliases; a disabled condition downloads too.
  assert.equal(
    out.stdout,
    "Saved charts/redis-1.2.0.tgz\nSaved charts/mysql-1.6.9.tgz\nWrote Chart.lock\n",
  );
  assert.deepEqual(Object.keys(await readTree(`${dir}/charts`)), [
    "mysql-1.6.9.tgz",
    "redis-1.2.0.tgz",
  ]);
  assert.ok(repo.log.every((r) => r.authorization !== ""), "the credentials were sent");
  const lock = parse(await Deno.readTextFile(`${dir}/Chart.lock`));
  assert.deepEqual(lock.dependencies, [
    { name: "redis", repository: `oci://${registry.host}/deps`, version: "1.2.0" },
    { name: "redis", repository: `oci://${registry.host}/deps`, version: "1.2.0" },
    { name: "mysql", repository: repo.url, version: "1.6.9" },
    { name: "mysql", repository: repo.url, version: "1.6.9" },
  ]);

  const listed = expectCode(await sb.run(["chart", "dep", "list", "parent"]), 0);
  const rows = listed.stdout.trimEnd().split("\n").map((line) => line.split(/\s+/));
  assert.deepEqual(rows[0], [
    "NAME",
    "VERSION",
    "REPOSITORY",
    "STATUS",
    "ALIAS",
    "CONDITION",
    "TAGS",
  ]);
  assert.deepEqual(rows[1], [
    "redis",
    "^1.0.0",
    `oci://${registry.host}/deps`,
    "ok",
    "cache",
    "cache.enabled",
    "backend",
  ]);
  assert.deepEqual(rows[3], ["mysql", "~1.6.0", "@private", "ok"]);
  const json = JSON.parse(
    expectCode(await sb.run(["chart", "dep", "list", "parent", "-o", "json"]), 0).stdout,
  );
  assert.deepEqual(json[0], {
    name: "redis",
    version: "^1.0.0",
    repository: `oci://${registry.host}/deps`,
    alias: "cache",
    condition: "cache.enabled",
    tags: ["backend"],
    status: "ok",
  });

  // build: the lock holds (its digest is over the named repositories' URLs, as Helm's).
  await Deno.remove(`${dir}/charts`, { recursive: true });
  const built = expectCode(
    await sb.run(["chart", "dep", "build", "parent", "--repository-config", repositories]),
    0,
  );
  assert.match(built.stdout, /Chart\.lock is up to date\n$/);
  assert.ok(await Deno.stat(`${dir}/charts/mysql-1.6.9.tgz`));

  // A wrong password in repositories.yaml: the repository's 401, nothing changed.
  await Deno.writeTextFile(
    repositories,
    (await Deno.readTextFile(repositories)).replace("s3cret", "wrong"),
  );
  const refused = expectCode(await sb.run(["chart", "dep", "update", "parent"], { env }), 1);
  assert.match(refused.stderr, /^Error: repository index: .*index\.yaml answered HTTP 401\n$/);
  assert.ok(await Deno.stat(`${dir}/charts/mysql-1.6.9.tgz`));
});

for (const name of ["helm3", "helm4"] as const) {
  testWithPeers(
    `dependency update with aliases and @NAME writes the Chart.lock and charts/ ${name} writes`,
    [name],
    async () => {
      await using registry = await startRegistry();
      await using sb = await sandbox();
      const { repo, repositories, dir } = await setup(sb, registry);
      await using _repo = repo;
      const helmEnv = {
        HOME: sb.dir,
        HELM_CONFIG_HOME: `${sb.dir}/hc`,
        HELM_CACHE_HOME: `${sb.dir}/hcache`,
        HELM_DATA_HOME: `${sb.dir}/hdata`,
        HELM_REPOSITORY_CONFIG: repositories,
      };
      const helm = async (...args: string[]) =>
        expectCode(await runPeer(name, args, { env: helmEnv }), 0);
      await helm("dependency", "update", dir, "--plain-http");
      const helmLock = parse(await Deno.readTextFile(`${dir}/Chart.lock`));
      const helmCharts = Object.keys(await readTree(`${dir}/charts`));
      await Deno.remove(`${dir}/Chart.lock`);
      await Deno.remove(`${dir}/charts`, { recursive: true });

      const env = { HELM_REPOSITORY_CONFIG: repositories };
      expectCode(await sb.run(["chart", "dep", "update", "parent"], { env }), 0);
      const ours = parse(await Deno.readTextFile(`${dir}/Chart.lock`));
      assert.deepEqual(ours.dependencies, helmLock.dependencies);
      assert.equal(ours.digest, helmLock.digest);
      assert.deepEqual(Object.keys(await readTree(`${dir}/charts`)), helmCharts);
      // Helm builds from our lock (it checks the digest against Chart.yaml).
      await Deno.remove(`${dir}/charts`, { recursive: true });
      await helm("dependency", "build", dir, "--plain-http");
      assert.deepEqual(Object.keys(await readTree(`${dir}/charts`)), helmCharts);
    },
  );
}

Deno.test("dependency update: an oci:// dependency in a registry that asks for a login uses h3's", async () => {
  await using sb = await sandbox();
  await using registry = await startHtpasswdRegistry(sb.dir, "alice", "pw-alice");
  await writeTree(`${sb.dir}/redis`, {
    "Chart.yaml": "apiVersion: v2\nname: redis\nversion: 1.2.0\n",
  });
  const login = ["registry", "login", registry.host, "-u", "alice", "--password-stdin"];
  expectCode(await sb.run(["chart", "save", "redis", `${registry.host}/deps/redis`]), 0);
  await writeTree(`${sb.dir}/parent`, {
    "Chart.yaml": "apiVersion: v2\nname: parent\nversion: 1.0.0\ndependencies:\n" +
      `- name: redis\n  version: ^1.0.0\n  repository: oci://${registry.host}/deps\n`,
  });
  const denied = expectCode(await sb.run(["chart", "dep", "update", "parent"]), 1);
  assert.match(denied.stderr, /^Error: .*(unauthorized|authentication required|credentials)/i);
  expectCode(await sb.run(login, { stdin: "pw-alice\n" }), 0);
  expectCode(await sb.run(["chart", "push", `${registry.host}/deps/redis:1.2.0`]), 0);
  const out = expectCode(await sb.run(["chart", "dep", "update", "parent"]), 0);
  assert.equal(out.stdout, "Saved charts/redis-1.2.0.tgz\nWrote Chart.lock\n");
});
