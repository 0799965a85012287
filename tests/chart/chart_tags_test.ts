import assert from "node:assert/strict";
import { connectRepository } from "../../core/transport/repository.ts";
import { expectCode, sandbox } from "../helpers/cli.ts";
import { type Exchange, type Fault, startFaultProxy } from "../helpers/fault_proxy.ts";
import { type StartRegistry, testEachRegistry } from "../helpers/registry.ts";
import { pushChartVersion, pushImage } from "../helpers/remote_charts.ts";

/**
 * Pages tag lists as registries that page do (Docker Hub, Harbor): `n` per page (10 unless asked),
 * `last` to go on, a `Link` header to the next page. registry:2 (distribution 2.8) ignores `n` and
 * answers every tag at once, distribution v3 pages only when asked, so this front reads the whole
 * list from `upstream` and pages it the same way for both.
 */
const pageTags = (upstream: string): Fault => async ({ request, url }: Exchange) => {
  if (request.method !== "GET" || !url.pathname.endsWith("/tags/list")) return undefined;
  const n = Number(url.searchParams.get("n") ?? 10);
  const last = url.searchParams.get("last");
  const whole = await fetch(`${upstream}${url.pathname}`);
  const { name, tags } = await whole.json() as { name: string; tags: string[] };
  const rest = tags.sort().filter((tag) => !last || tag > last);
  const page = rest.slice(0, n);
  const headers = new Headers({ "content-type": "application/json" });
  if (rest.length > n) {
    const next = `${url.pathname}?n=${n}&last=${encodeURIComponent(page.at(-1)!)}`;
    headers.set("link", `<${next}>; rel="next"`);
  }
  return new Response(JSON.stringify({ name, tags: page }), { headers });
};

const hour = 3600_000;

async function everyPage(start: StartRegistry) {
  await using registry = await start();
  await using front = startFaultProxy(registry.url, pageTags(registry.url));
  await using sb = await sandbox();
  {
    using repo = connectRepository(`${registry.host}/charts/app`);
    for (let minor = 0; minor < 24; minor++) {
      await pushChartVersion(repo, {
        name: "app",
        version: `1.${minor}.0`,
        appVersion: `v${minor}`,
        description: `App, release ${minor}`,
      }, { created: new Date(Date.now() - (30 - minor) * hour) });
    }
    await pushChartVersion(repo, { name: "app", version: "2.0.0-rc.1+exp.sha.5114f85" });
    await pushChartVersion(repo, { name: "app", version: "1.23.0" }, { tag: "latest" });
    await pushImage(repo, "image");
  }
  const ref = `${front.host}/charts/app`;

  const listed = expectCode(await sb.run(["chart", "tags", ref, "-o", "json"]), 0);
  const infos = JSON.parse(listed.stdout);
  assert.deepEqual(infos.slice(0, 3).map((i: { tag: string }) => i.tag), [
    "2.0.0-rc.1_exp.sha.5114f85",
    "1.23.0",
    "1.22.0",
  ]);
  assert.equal(infos.length, 26, "24 releases, a pre-release and latest; the image left out");
  assert.equal(infos.at(-1).tag, "latest");
  assert.equal(infos[0].version, "2.0.0-rc.1+exp.sha.5114f85");
  assert.deepEqual(
    { ...infos[1], digest: undefined, created: undefined },
    {
      tag: "1.23.0",
      digest: undefined,
      chart: true,
      name: "app",
      version: "1.23.0",
      appVersion: "v23",
      description: "App, release 23",
      created: undefined,
    },
  );
  assert.match(infos[1].created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

  const pages = front.log.filter((r) => r.path.includes("/tags/list"));
  assert.deepEqual(pages.map((r) => r.path), [
    "/v2/charts/app/tags/list",
    "/v2/charts/app/tags/list?n=10&last=1.17.0",
    "/v2/charts/app/tags/list?n=10&last=1.5.0",
  ]);
  const blobReads = front.log.filter((r) => r.method === "GET" && r.path.includes("/blobs/"));
  assert.equal(blobReads.length, 26, "one config blob per chart tag, never the content");

  const table = expectCode(await sb.run(["chart", "tags", `oci://${ref}`]), 0).stdout.split("\n");
  assert.match(table[0], /^TAG +NAME +VERSION +APP VERSION +DESCRIPTION +CREATED$/);
  assert.match(table[2], /^1\.23\.0 +app +1\.23\.0 +v23 +App, release 23 +7 hours$/);

  const all = JSON.parse(
    expectCode(await sb.run(["chart", "tags", ref, "--all", "-o", "json"]), 0).stdout,
  );
  const image = all.find((i: { tag: string }) => i.tag === "image");
  assert.equal(image.chart, false);
  assert.match(image.reason, /not a Helm chart: config media type/);
  assert.match(image.digest, /^sha256:[0-9a-f]{64}$/);
  const allTable = expectCode(await sb.run(["chart", "tags", ref, "--all"]), 0).stdout;
  assert.match(
    allTable,
    /^image +\(not a Helm chart: config media type is "application\/vnd\.oci\.image\.config\.v1\+json"\)$/m,
  );
}
testEachRegistry(
  "chart tags: every page read, newest SemVer first, from config blobs only",
  everyPage,
);

async function unknownRepository(start: StartRegistry) {
  await using registry = await start();
  await using sb = await sandbox();
  const missing = await sb.run(["chart", "tags", `${registry.host}/charts/none`]);
  assert.equal(missing.code, 1);
  assert.equal(
    missing.stderr.trim(),
    `Error: ${registry.host}: listing the tags of charts/none: repository name not known to registry (NAME_UNKNOWN, HTTP 404)`,
  );
  const tagged = await sb.run(["chart", "tags", `${registry.host}/charts/app:1.0.0`]);
  assert.equal(tagged.code, 2);
}
testEachRegistry(
  "chart tags: a repository the registry does not know is one clear error",
  unknownRepository,
);
