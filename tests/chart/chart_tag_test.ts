/**
 * `chart tag` (new tags, nothing uploaded), `SOURCE_DATE_EPOCH` (same directory and epoch, same
 * manifest digest) and charts inside an image index, against a real registry.
 */
import assert from "node:assert/strict";
import { type Descriptor, manifestDescriptor } from "../../core/oci/descriptor.ts";
import { helmConfig, ociIndex } from "../../core/oci/media_types.ts";
import { connectRepository } from "../../core/transport/repository.ts";
import { minimalChart, writeTree } from "../helpers/charts.ts";
import { expectCode, sandbox } from "../helpers/cli.ts";
import { startFaultProxy } from "../helpers/fault_proxy.ts";
import { startRegistry } from "../helpers/registry.ts";
import { pushChartVersion, pushImage } from "../helpers/remote_charts.ts";

Deno.test("chart tag: new tags name the same manifest, and not one blob is uploaded", async () => {
  await using registry = await startRegistry();
  await using proxy = startFaultProxy(registry.url);
  await using sb = await sandbox();
  using repo = connectRepository(`${registry.host}/charts/app`);
  const desc = await pushChartVersion(repo, { name: "app", version: "1.2.0" });
  await pushImage(repo, "image");
  const ref = `${proxy.host}/charts/app`;

  const out = expectCode(await sb.run(["chart", "tag", `${ref}:1.2.0`, "stable", "1.2"]), 0);
  assert.equal(
    out.stdout,
    `${ref}:stable: tagged ${desc.digest}\n${ref}:1.2: tagged ${desc.digest}\n`,
  );
  assert.equal((await repo.resolve("stable")).digest, desc.digest);
  assert.equal((await repo.resolve("1.2")).digest, desc.digest);
  const writes = proxy.log.filter((r) => r.method !== "GET" && r.method !== "HEAD");
  assert.deepEqual(writes.map((r) => `${r.method} ${r.path}`), [
    "PUT /v2/charts/app/manifests/stable",
    "PUT /v2/charts/app/manifests/1.2",
  ]);

  // By digest, and the library's tag() does the same.
  const { tag } = await import("../../mod.ts");
  const result = await tag(`${registry.host}/charts/app@${desc.digest}`, ["prod"]);
  assert.equal(result.desc.digest, desc.digest);
  assert.equal((await repo.resolve("prod")).digest, desc.digest);

  // A bad tag is refused before anything is written; a non-chart is refused.
  const before = proxy.log.length;
  const bad = expectCode(await sb.run(["chart", "tag", `${ref}:1.2.0`, "ok", "bad~tag"]), 2);
  assert.match(bad.stderr, /invalid tag "bad~tag"/);
  assert.ok(proxy.log.slice(before).every((r) => r.method === "GET" || r.method === "HEAD"));
  await assert.rejects(repo.resolve("ok"));
  const image = expectCode(await sb.run(["chart", "tag", `${ref}:image`, "x"]), 1);
  assert.match(image.stderr, /not a Helm chart/);
  const missing = expectCode(await sb.run(["chart", "tag", `${ref}:1.2.0`]), 2);
  assert.match(missing.stderr, /missing REF or NEWTAG/);
});

Deno.test("SOURCE_DATE_EPOCH: the same directory and epoch give the same manifest digest", async () => {
  await using registry = await startRegistry();
  await using a = await sandbox();
  await using b = await sandbox();
  const ref = `${registry.host}/charts/mychart:2.7.0`;
  const digests: string[] = [];
  for (const sb of [a, b]) {
    await writeTree(`${sb.dir}/mychart`, minimalChart);
    const env = { SOURCE_DATE_EPOCH: "1700000000" };
    expectCode(await sb.run(["chart", "save", "mychart", ref], { env }), 0);
    const index = JSON.parse(await Deno.readTextFile(`${sb.helmHome}/registry/index.json`));
    const desc = index.manifests[0];
    assert.equal(desc.annotations["org.opencontainers.image.created"], "2023-11-14T22:13:20Z");
    digests.push(desc.digest);
    // Pushed, the registry holds that very manifest.
    expectCode(await sb.run(["chart", "push", ref], { env }), 0);
  }
  assert.equal(digests[0], digests[1]);
  using repo = connectRepository(ref);
  assert.equal((await repo.resolve("2.7.0")).digest, digests[0]);

  const bad = expectCode(
    await a.run(["chart", "save", "mychart", `${registry.host}/charts/other`], {
      env: { SOURCE_DATE_EPOCH: "yesterday" },
    }),
    2,
  );
  assert.equal(
    bad.stderr,
    'Error: invalid SOURCE_DATE_EPOCH "yesterday": must be a whole number of seconds since 1970\n',
  );
  assert.equal(bad.stdout, "", "no blob is stored before the epoch is checked");
  const listed = expectCode(await a.run(["chart", "list"]), 0);
  assert.doesNotMatch(listed.stdout, /charts\/other/);
});

/** Stores an index of `manifests` under `tag` in `repo`. */
async function pushIndex(
  repo: ReturnType<typeof connectRepository>,
  manifests: (Descriptor & { artifactType?: string })[],
  tag: string,
) {
  const bytes = new TextEncoder().encode(
    JSON.stringify({ schemaVersion: 2, mediaType: ociIndex, manifests }),
  );
  const desc = await manifestDescriptor(bytes, ociIndex);
  await repo.pushReference(desc, ReadableStream.from([bytes]), tag);
  return desc;
}

Deno.test("a chart inside an image index is pulled, copied, tagged; an index without one is refused", async () => {
  await using registry = await startRegistry();
  await using sb = await sandbox();
  using repo = connectRepository(`${registry.host}/charts/app`);
  const image = await pushImage(repo, "image");
  const chart = await pushChartVersion(repo, { name: "app", version: "3.1.0" });
  // With artifactType, and without (found by reading each manifest's config media type).
  await pushIndex(repo, [image, { ...chart, artifactType: helmConfig }], "typed");
  const plain = await pushIndex(repo, [image, chart], "plain");
  await pushIndex(repo, [image], "no-chart");
  const ref = `${registry.host}/charts/app`;

  for (const tag of ["typed", "plain"]) {
    const pulled = expectCode(await sb.run(["chart", "pull", `${ref}:${tag}`]), 0);
    assert.match(pulled.stdout, /Name: +app\n/);
    const index = JSON.parse(await Deno.readTextFile(`${sb.helmHome}/registry/index.json`));
    const entry = index.manifests.find((d: { annotations: Record<string, string> }) =>
      d.annotations["org.opencontainers.image.ref.name"] === `${ref}:${tag}`
    );
    assert.equal(entry.digest, chart.digest, "the cache holds the chart manifest");
  }
  expectCode(await sb.run(["chart", "pull", `oci://${ref}`, "--version", "plain", "-d", "out"]), 0);
  assert.ok((await Deno.stat(`${sb.dir}/out/app-3.1.0.tgz`)).isFile);

  expectCode(
    await sb.run(["chart", "copy", `${ref}:plain`, `${registry.host}/mirror/app:3.1.0`]),
    0,
  );
  using mirror = connectRepository(`${registry.host}/mirror/app`);
  assert.equal((await mirror.resolve("3.1.0")).digest, chart.digest);

  // chart tag keeps the index: the new tag names what the old one named.
  expectCode(await sb.run(["chart", "tag", `${ref}:plain`, "again"]), 0);
  assert.equal((await repo.resolve("again")).digest, plain.digest);

  const refused = expectCode(await sb.run(["chart", "pull", `${ref}:no-chart`]), 1);
  assert.equal(
    refused.stderr,
    `Error: ${ref}:no-chart: not a Helm chart: image index of 1 manifests, none a chart ` +
      "(application/vnd.oci.image.manifest.v1+json)\n",
  );
});
