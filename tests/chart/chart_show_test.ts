/**
 * `chart show chart|values|readme|crds|all`: Helm's text, from the cache or from the registry
 * reading only the manifest, config and content (no tag list when a tag is given), version ranges
 * and --devel as pull, `-o json`; and the same bytes as Helm 3's `helm show` when it is built.
 */
import assert from "node:assert/strict";
import { safeText } from "../../commands/ui/safe_text.ts";
import { fileEntry, tgz, writeTree } from "../helpers/charts.ts";
import { expectCode, sandbox } from "../helpers/cli.ts";
import { startFaultProxy } from "../helpers/fault_proxy.ts";
import { runPeer, testWithPeers } from "../helpers/peers.ts";
import { startRegistry } from "../helpers/registry.ts";

const values = "# Default values\nreplicaCount: 1\nimage:\n  repository: nginx\n";
const readme = "# App\n\nInstalls the app.\n";
const ownCrd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n" +
  "metadata:\n  name: own.example.com\n";
const unpackedCrd =
  "---\nkind: CustomResourceDefinition\nmetadata:\n  name: unpacked.example.com\n";
const packedCrd = "kind: CustomResourceDefinition\nmetadata:\n  name: packed.example.com\n";

/** A chart with values, a README, a CRD, and subcharts with CRDs (one packaged, one not). */
async function chartFiles(
  version: string,
  unpacked = true,
): Promise<Record<string, string | Uint8Array>> {
  const files: Record<string, string | Uint8Array> = {
    "Chart.yaml": `apiVersion: v2\nname: app\nversion: ${version}\ndescription: The app\n` +
      "appVersion: '1.10'\nmaintainers:\n- name: Ann\n  email: ann@example.com\n" +
      "keywords: [web, demo]\n",
    "values.yaml": values,
    "README.md": readme,
    "crds/own.yaml": ownCrd,
    "crds/notes.txt": "not a CRD\n",
    "templates/service.yaml": "kind: Service\n",
    "charts/packed-0.2.0.tgz": await tgz([
      fileEntry("packed/Chart.yaml", "apiVersion: v2\nname: packed\nversion: 0.2.0\n"),
      fileEntry("packed/crds/crd.yaml", packedCrd),
    ]),
  };
  if (unpacked) {
    files["charts/unpacked/Chart.yaml"] = "apiVersion: v2\nname: unpacked\nversion: 0.1.0\n";
    files["charts/unpacked/crds/crd.yaml"] = unpackedCrd;
  }
  return files;
}

const chartYaml = (version: string) =>
  'apiVersion: v2\nappVersion: "1.10"\ndescription: The app\nkeywords:\n- web\n- demo\n' +
  "maintainers:\n- email: ann@example.com\n  name: Ann\nname: app\n" +
  `version: ${version}\n\n`;

Deno.test("chart show: Helm's text from the cache and from the registry, with ranges", async () => {
  await using registry = await startRegistry();
  await using proxy = startFaultProxy(registry.url);
  await using sb = await sandbox();
  for (const version of ["1.0.0", "1.1.0", "2.0.0-rc.1"]) {
    await writeTree(`${sb.dir}/app-${version}`, await chartFiles(version));
    const ref = `${registry.host}/charts/app:${version}`;
    expectCode(await sb.run(["chart", "save", `app-${version}`, ref]), 0);
    expectCode(await sb.run(["chart", "push", ref]), 0);
  }
  // Own CRDs first, then the subcharts' in archive order (Helm's order between subcharts varies).
  const crds = `${ownCrd}\n${packedCrd}\n${unpackedCrd}\n`;
  const all = `${chartYaml("1.1.0")}---\n${values}\n---\n${readme}\n---\n${crds}`;

  // From the cache: the registry is not asked.
  const cached = `${proxy.host}/charts/app:1.1.0`;
  await sb.run(["chart", "save", "app-1.1.0", cached]);
  const before = proxy.log.length;
  assert.equal(expectCode(await sb.run(["chart", "show", "all", cached]), 0).stdout, all);
  assert.equal(proxy.log.length, before, "read in the cache");

  // From a registry the cache has never seen: manifest, config, content; no tag list.
  await using other = await sandbox();
  const remote = `${proxy.host}/charts/app`;
  const shown = expectCode(await other.run(["chart", "show", "all", `${remote}:1.1.0`]), 0);
  assert.equal(shown.stdout, all);
  const asked = proxy.log.slice(before).map((r) =>
    `${r.method} ${r.path.replace(/sha256:\w+/, "D")}`
  );
  assert.deepEqual(asked.filter((r) => !r.endsWith("/v2/")), [
    "GET /v2/charts/app/manifests/1.1.0",
    "GET /v2/charts/app/blobs/D",
    "GET /v2/charts/app/blobs/D",
  ]);
  const notCached = expectCode(await other.run(["chart", "list"]), 0);
  assert.doesNotMatch(notCached.stdout, /charts\/app/, "show does not fill the cache");

  const run = async (...args: string[]) =>
    expectCode(await other.run(["chart", "show", ...args]), 0).stdout;
  assert.equal(await run("values", `${remote}:1.1.0`), `${values}\n`);
  assert.equal(await run("readme", `${remote}:1.1.0`), `${readme}\n`);
  assert.equal(await run("crds", `${remote}:1.1.0`), crds);
  // Ranges and --devel select as pull does; no tag: the highest stable version.
  assert.equal(await run("chart", `oci://${remote}`), chartYaml("1.1.0"));
  assert.equal(await run("chart", remote, "--version", "~1.0.0"), chartYaml("1.0.0"));
  assert.equal(await run("chart", remote, "--devel"), chartYaml("2.0.0-rc.1"));
  // Chart.yaml as JSON.
  const json = JSON.parse(await run("chart", `${remote}:1.0.0`, "-o", "json"));
  assert.equal(json.version, "1.0.0");
  assert.equal(json.appVersion, "1.10");
  assert.deepEqual(json.maintainers, [{ name: "Ann", email: "ann@example.com" }]);

  // The library gives the same parts.
  const { show } = await import("../../mod.ts");
  const result = await show(`${registry.host}/charts/app`, "all", { version: "^1" });
  assert.equal(result.source, "registry");
  assert.equal(result.meta.version, "1.1.0");
  assert.equal(result.values, values);
  assert.deepEqual(result.crds.map((c) => c.name), [
    "crds/own.yaml",
    "charts/packed/crds/crd.yaml",
    "charts/unpacked/crds/crd.yaml",
  ]);

  // Usage errors exit 2; a version that is not there is one line.
  const bad = expectCode(await other.run(["chart", "show", "manifest", `${remote}:1.1.0`]), 2);
  assert.equal(
    bad.stderr,
    'Error: unknown part "manifest": use all, chart, values, readme, crds\n',
  );
  const json2 = expectCode(await other.run(["chart", "show", "values", remote, "-o", "json"]), 2);
  assert.match(json2.stderr, /--output json is for 'chart show chart' only/);
  const none = expectCode(await other.run(["chart", "show", "chart", remote, "--version", "3"]), 1);
  assert.match(none.stderr, /no version matches "3"/);
});

Deno.test("chart show: a chart without values, README or CRDs shows only Chart.yaml", async () => {
  await using registry = await startRegistry();
  await using sb = await sandbox();
  await writeTree(`${sb.dir}/bare`, {
    "Chart.yaml": "apiVersion: v2\nname: bare\nversion: 0.1.0\n",
    "templates/a.yaml": "kind: A\n",
  });
  const ref = `${registry.host}/charts/bare:0.1.0`;
  expectCode(await sb.run(["chart", "save", "bare", ref]), 0);
  const yaml = "apiVersion: v2\nname: bare\nversion: 0.1.0\n\n";
  assert.equal(expectCode(await sb.run(["chart", "show", "all", ref]), 0).stdout, yaml);
  assert.equal(expectCode(await sb.run(["chart", "show", "values", ref]), 0).stdout, "");
  assert.equal(expectCode(await sb.run(["chart", "show", "crds", ref]), 0).stdout, "");
});

Deno.test("chart show: control characters are escaped for a terminal", () => {
  assert.equal(safeText("a\x1b]0;title\x07b\n\tc\x9b"), "a\\x1b]0;title\\x07b\n\tc\\x9b");
});

testWithPeers("chart show prints what helm show prints (Helm 3)", ["helm3"], async () => {
  await using registry = await startRegistry();
  await using sb = await sandbox();
  // One subchart: Helm orders subcharts by Go map iteration, so two would not compare.
  await writeTree(`${sb.dir}/app`, await chartFiles("1.0.0", false));
  const ref = `${registry.host}/charts/app:1.0.0`;
  expectCode(await sb.run(["chart", "save", "app", ref]), 0);
  expectCode(await sb.run(["chart", "push", ref]), 0);
  for (const part of ["chart", "values", "readme", "crds", "all"]) {
    const oci = `oci://${registry.host}/charts/app`;
    const helm = expectCode(
      await runPeer("helm3", ["show", part, oci, "--version", "1.0.0", "--plain-http"], {
        env: {
          HOME: sb.dir,
          HELM_CONFIG_HOME: `${sb.dir}/hc`,
          HELM_CACHE_HOME: `${sb.dir}/hcache`,
        },
      }),
      0,
    );
    const h3 = expectCode(await sb.run(["chart", "show", part, ref]), 0);
    assert.equal(h3.stdout, helm.stdout, `show ${part}`);
  }
});
