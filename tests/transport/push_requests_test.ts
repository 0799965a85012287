/**
 * Requests per chart on push, counted in real registries' access logs: a chart pushed alone is
 * six on registry:2 (the content layer asked about, not the config; config and content each
 * offered in one POST, which registry:2 answers with an upload session, then PUT; the manifest
 * PUT), was seven; in a bulk push, once a chart was found new, the next chart's layer is asked
 * about with a mount from its own repository, which opens the upload when the layer is missing:
 * five, the protocol's floor there. An unchanged chart pushed again is asked about with HEADs,
 * reported as already there, and nothing is written; behind a registry that ignores mounts it is
 * still reported as already there. A chart's tags pushed together upload its blobs once, then put
 * one manifest per tag.
 * @module
 */
import assert from "node:assert/strict";
import { fixtureChart, minimalChart, writeTree } from "../helpers/charts.ts";
import { expectCode, type Sandbox, sandbox } from "../helpers/cli.ts";
import { startFaultProxy } from "../helpers/fault_proxy.ts";
import {
  requestsSince,
  startRegistry,
  testEachRegistry,
  type TestRegistry,
} from "../helpers/registry.ts";

Deno.test("push: a new chart costs 6 requests on registry:2, an unchanged one 3 and is already there", async () => {
  await using registry = await startRegistry({ accessLog: true });
  await using sb = await sandbox();
  const refs = [1, 2].map((n) => `${registry.host}/team/chart${n}:2.7.0`);
  for (const ref of refs) expectCode(await sb.run(["chart", "save", fixtureChart, ref]), 0);

  let from = registry.requests().length;
  expectCode(await sb.run(["chart", "push", refs[0]]), 0);
  const first = await requestsSince(registry, from);
  const kinds = (lines: string[]) => lines.map((line) => line.replace(/ \/v2\/\S+/, " …")).sort();
  // The first upload offers the config in the POST; registry:2 opens a session instead (202).
  assert.deepEqual(kinds(first), [
    "HEAD … 404", // the content layer: missing, so the config is not asked about
    "POST … 202",
    "POST … 202",
    "PUT … 201",
    "PUT … 201",
    "PUT … 201", // the manifest
  ], first.join("\n"));
  assert.ok(first.some((line) => /^POST \S+\?digest=sha256%3A/.test(line)), first.join("\n"));

  // Two charts in one run: the new one as above, the unchanged one asked about and left alone.
  from = registry.requests().length;
  const run = expectCode(await sb.run(["chart", "push", refs[1], refs[0]]), 0);
  assert.match(run.stdout, /already on remote, nothing pushed/);
  const both = await requestsSince(registry, from);
  const of = (repo: string) => both.filter((line) => line.includes(`/team/${repo}/`));
  assert.equal(of("chart2").length, 6, both.join("\n"));
  assert.equal(of("chart1").length, 3, both.join("\n"));

  // An unchanged chart: its blobs are asked about, the tag checked, nothing written.
  from = registry.requests().length;
  const again = expectCode(await sb.run(["chart", "push", refs[0]]), 0);
  assert.match(again.stdout, /already on remote, nothing pushed/);
  const repush = await requestsSince(registry, from);
  assert.deepEqual(kinds(repush), ["HEAD … 200", "HEAD … 200", "HEAD … 200"], repush.join("\n"));
});

/** Saves `count` distinct charts as `HOST/bulk/chartK:1.0.0` (one repository each); their refs. */
async function saveCharts(sb: Sandbox, host: string, count: number, from = 0): Promise<string[]> {
  const refs = [];
  for (let k = from; k < from + count; k++) {
    const dir = `${sb.dir}/chart${k}`;
    const chart = `apiVersion: v2\nname: chart${k}\nversion: 1.0.0\n`;
    await writeTree(dir, { ...minimalChart, "Chart.yaml": chart, "values.yaml": `k: ${k}\n` });
    const ref = `${host}/bulk/chart${k}:1.0.0`;
    expectCode(await sb.run(["chart", "save", dir, ref]), 0);
    refs.push(ref);
  }
  return refs;
}

/** `METHOD STATUS` of each request, with `mount` for a POST that asks for a mount. */
function kinds(lines: string[]): string[] {
  return lines.map((line) => {
    const [method, path, status] = line.split(" ");
    return `${method}${path.includes("mount=") ? " mount" : ""} ${status}`;
  });
}

/** How many of `list` are `item`. */
const count = (list: string[], item: string) => list.filter((x) => x === item).length;

testEachRegistry(
  "push: in a bulk push a new chart costs 5 requests (its layer asked with a mount from its own repository), an unchanged one 3 HEADs",
  async (start) => {
    await using registry = await start({ accessLog: true });
    await using sb = await sandbox();
    const n = 12;
    const refs = await saveCharts(sb, registry.host, n);

    let from = registry.requests().length;
    const run = expectCode(await sb.run(["chart", "push", ...refs, "--concurrency", "2"]), 0);
    assert.equal(run.stdout.match(/: pushed to remote/g)?.length, n, run.stdout);
    const fresh = kinds(await requestsSince(registry, from));
    // The first charts (2 at a time) ask with HEADs; the registry is then asked once whether it
    // honours a mount from the repository itself (a blob h3 uploaded: 201); then every new layer is
    // asked with such a mount, which opens its upload (202).
    const heads = count(fresh, "HEAD 404");
    assert.ok(heads >= 1 && heads <= 2, fresh.join("\n"));
    assert.equal(count(fresh, "POST mount 201"), 1, fresh.join("\n"));
    assert.equal(count(fresh, "POST mount 202"), n - heads, fresh.join("\n"));
    assert.equal(count(fresh, "PUT 201"), 3 * n, fresh.join("\n")); // two blobs and the manifest
    assert.equal(fresh.length, 5 * n + heads + 1, fresh.join("\n"));

    // Pushed again: every chart is already there, asked with HEADs only (nothing is written).
    from = registry.requests().length;
    const again = expectCode(await sb.run(["chart", "push", ...refs, "--concurrency", "2"]), 0);
    assert.equal(again.stdout.match(/already on remote, nothing pushed/g)?.length, n, again.stdout);
    const repush = kinds(await requestsSince(registry, from));
    assert.deepEqual(repush, Array(3 * n).fill("HEAD 200"), repush.join("\n"));
  },
);

/**
 * New charts, then charts the registry has: the unchanged ones come while h3 asks with mounts, and
 * are still reported as already there, on registry:2 and behind a front that drops the mount from
 * every POST (a registry that ignores mounts, as the spec allows: it opens an upload instead).
 */
async function newThenUnchanged(registry: TestRegistry, host: string) {
  await using sb = await sandbox();
  const old = await saveCharts(sb, host, 3);
  expectCode(await sb.run(["chart", "push", ...old]), 0);
  const fresh = await saveCharts(sb, host, 4, 3);
  const from = registry.requests().length;
  const run = expectCode(
    await sb.run(["chart", "push", ...fresh, ...old, "--concurrency", "1"]),
    0,
  );
  assert.equal(run.stdout.match(/: pushed to remote/g)?.length, 4, run.stdout);
  assert.equal(run.stdout.match(/already on remote, nothing pushed/g)?.length, 3, run.stdout);
  const lines = await requestsSince(registry, from);
  for (const ref of old) {
    const repo = ref.slice(ref.indexOf("/") + 1, ref.lastIndexOf(":"));
    const writes = lines.filter((line) => line.includes(`/${repo}/`) && /^(PUT|PATCH)/.test(line));
    assert.deepEqual(writes, [], lines.join("\n"));
  }
  return kinds(lines);
}

Deno.test("push: unchanged charts after new ones in one run are already there [registry:2]", async () => {
  await using registry = await startRegistry({ accessLog: true });
  const seen = await newThenUnchanged(registry, registry.host);
  // Asked once whether mounts are honoured, then the first unchanged layer is found by a mount.
  assert.equal(count(seen, "POST mount 201"), 2, seen.join("\n"));
});

Deno.test("push: behind a registry that ignores mounts, unchanged charts are already there and asked with HEADs", async () => {
  await using registry = await startRegistry({ accessLog: true });
  await using front = startFaultProxy(registry.url, ({ request, url }) => {
    if (request.method === "POST") {
      url.searchParams.delete("mount");
      url.searchParams.delete("from");
    }
    return undefined;
  });
  const seen = await newThenUnchanged(registry, front.host);
  // h3 asked once whether mounts are honoured; the session opened instead was cancelled.
  assert.equal(front.log.filter((r) => r.path.includes("mount=")).length, 1);
  assert.equal(count(seen, "DELETE 204"), 1, seen.join("\n"));
});

testEachRegistry(
  "push: a chart's tags pushed together upload its blobs once and put a manifest per tag; pushed again, one HEAD per tag",
  async (start) => {
    await using registry = await start({ accessLog: true });
    await using sb = await sandbox();
    const tags = ["2.7.0", "2.7", "2", "latest", "stable", "v2"];
    const refs = tags.map((tag) => `${registry.host}/team/tagged:${tag}`);
    const sameManifest = { env: { SOURCE_DATE_EPOCH: "1700000000" } }; // one digest for all tags
    for (const ref of refs) {
      expectCode(await sb.run(["chart", "save", fixtureChart, ref], sameManifest), 0);
    }

    let from = registry.requests().length;
    const run = expectCode(await sb.run(["chart", "push", ...refs, "--concurrency", "4"]), 0);
    assert.equal(run.stdout.match(/: pushed to remote/g)?.length, tags.length, run.stdout);
    const fresh = await requestsSince(registry, from);
    const uploads = fresh.filter((line) => /^PUT \S+\/blobs\/uploads\//.test(line));
    assert.deepEqual(uploads.map((line) => line.split(" ")[2]), ["201", "201"], fresh.join("\n"));
    const manifests = fresh.filter((line) => /^PUT \S+\/manifests\//.test(line));
    assert.deepEqual(
      manifests.map((line) => line.replace(/^PUT \S+\/manifests\/(\S+) (\d+)$/, "$1 $2")).sort(),
      tags.map((tag) => `${tag} 201`).sort(),
      fresh.join("\n"),
    );
    // the first tag's 6 (its layer asked, two uploads, its manifest), then one PUT per other tag
    assert.equal(fresh.length, 6 + tags.length - 1, fresh.join("\n"));

    from = registry.requests().length;
    const again = expectCode(await sb.run(["chart", "push", ...refs, "--concurrency", "4"]), 0);
    const already = again.stdout.match(/already on remote, nothing pushed/g)?.length;
    assert.equal(already, tags.length, again.stdout);
    const repush = kinds(await requestsSince(registry, from));
    // the first tag's two blobs and manifest asked about, then each other tag's manifest
    assert.deepEqual(repush, Array(3 + tags.length - 1).fill("HEAD 200"), repush.join("\n"));
  },
);

Deno.test("push: when the tag the others wait for fails, each other tag of the chart is pushed by itself", async () => {
  await using registry = await startRegistry({ accessLog: true });
  // The first manifest PUT is refused (a registry's 400, not tried again); the others pass.
  let refused: string | undefined;
  await using front = startFaultProxy(registry.url, ({ request, url }) => {
    const manifestPut = request.method === "PUT" && url.pathname.includes("/manifests/");
    if (!manifestPut || refused !== undefined) return undefined;
    refused = url.pathname.split("/").pop();
    const errors = [{ code: "MANIFEST_INVALID", message: "refused for the test" }];
    return Response.json({ errors }, { status: 400 });
  });
  await using sb = await sandbox();
  const tags = ["1.0.0", "1.0", "1", "latest"];
  const refs = tags.map((tag) => `${front.host}/team/failing:${tag}`);
  const sameManifest = { env: { SOURCE_DATE_EPOCH: "1700000000" } };
  for (const ref of refs) {
    expectCode(await sb.run(["chart", "save", fixtureChart, ref], sameManifest), 0);
  }
  const run = await sb.run(["chart", "push", ...refs, "--concurrency", "4"]);
  assert.equal(run.code, 3, run.stderr); // some refs failed
  assert.match(run.stderr, /1 of 4 refs failed/);
  assert.equal(run.stdout.match(/: pushed to remote/g)?.length, 3, run.stdout);
  // The other three tags, moving the chart at once, may race on registry:2 (a DIGEST_INVALID
  // tried again): what counts is that each was stored and the refused one never reached it.
  const lines = registry.requests();
  const stored = lines.map((line) => line.match(/^PUT \S+\/manifests\/(\S+) 201$/)?.[1])
    .filter((tag) => tag !== undefined).sort();
  assert.deepEqual(stored, tags.filter((tag) => tag !== refused).sort(), lines.join("\n"));
  assert.ok(!lines.some((line) => line.includes(`/manifests/${refused} `)), lines.join("\n"));
});
