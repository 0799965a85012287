/**
 * Air gap: `chart copy` between registries, OCI layout directories (`oci:DIR[:REF]`) and layout
 * archives (`oci-archive:FILE.tar[:REF]`), skopeo's syntax: a repository round trip through a tar
 * file, skopeo reading what h3 writes (and h3 what skopeo writes), and refusals that leave nothing.
 */
import assert from "node:assert/strict";
import { createTarDecoder } from "modern-tar";
import { connectRepository } from "../../core/transport/repository.ts";
import { treeSnapshot } from "../helpers/charts.ts";
import { expectCode, sandbox, skopeo } from "../helpers/cli.ts";
import { startRegistry } from "../helpers/registry.ts";
import { pushChartVersion, pushImage } from "../helpers/remote_charts.ts";
import { sha256Hex } from "../helpers/files.ts";

async function tarNames(path: string): Promise<string[]> {
  const names: string[] = [];
  const file = await Deno.open(path);
  for await (const entry of file.readable.pipeThrough(createTarDecoder())) {
    names.push(entry.header.name);
    await entry.body.cancel();
  }
  return names;
}

Deno.test("air gap: REG → oci-archive → OTHER with --all-tags, digests kept, skopeo reads it", async () => {
  await using registry = await startRegistry();
  await using other = await startRegistry();
  await using sb = await sandbox();
  using repo = connectRepository(`${registry.host}/charts/app`);
  const digests: Record<string, string> = {};
  for (const version of ["1.0.0", "1.1.0", "2.0.0"]) {
    digests[version] = (await pushChartVersion(repo, { name: "app", version })).digest;
  }
  await pushImage(repo, "image");
  const bundle = `${sb.dir}/bundle.tar`;
  const toArchive = async () =>
    expectCode(
      await sb.run([
        "chart",
        "copy",
        `${registry.host}/charts/app`,
        "oci-archive:bundle.tar",
        "--all-tags",
      ]),
      0,
    );

  const out = await toArchive();
  assert.match(out.stdout, /^2\.0\.0: copied app 2\.0\.0 \(2 blobs, /m);
  assert.match(out.stdout, /^image: skipped, not a Helm chart/m);
  assert.match(out.stdout, /^Copied 3 charts \(6 blobs, .*\), skipped 0, 1 tag not a chart\n$/m);
  const names = await tarNames(bundle);
  assert.deepEqual(names.slice(0, 4), ["oci-layout", "index.json", "blobs/", "blobs/sha256/"]);
  assert.ok(names.slice(4).every((n) => /^blobs\/sha256\/[a-f0-9]{64}$/.test(n)), names.join());
  assert.equal(names.length, 4 + 3 * 3, "3 manifests, 3 configs, 3 contents; nothing else");

  // skopeo reads the archive: each ref's manifest is the registry's.
  for (const [version, digest] of Object.entries(digests)) {
    const raw = await skopeo("inspect", "--raw", `oci-archive:${bundle}:${version}`);
    assert.equal(`sha256:${await sha256Hex(raw)}`, digest);
  }

  // A second run finds everything there: the archive is rewritten with the same content.
  const again = await toArchive();
  assert.match(again.stdout, /^Copied 0 charts \(0 blobs, 0 B\), skipped 3, 1 tag not a chart\n$/m);
  assert.equal((await tarNames(bundle)).length, names.length);

  // Into the other registry, from the archive alone.
  const back = expectCode(
    await sb.run([
      "chart",
      "copy",
      "oci-archive:bundle.tar",
      `${other.host}/mirror/app`,
      "--all-tags",
    ]),
    0,
  );
  assert.match(back.stdout, /^Copied 3 charts \(6 blobs, /m);
  using mirror = connectRepository(`${other.host}/mirror/app`);
  assert.deepEqual((await Array.fromAsync(mirror.tags())).sort(), ["1.0.0", "1.1.0", "2.0.0"]);
  for (const [version, digest] of Object.entries(digests)) {
    assert.equal((await mirror.resolve(version)).digest, digest);
  }
});

Deno.test("air gap: oci:DIR with and without a ref; h3 reads what skopeo writes", async () => {
  await using registry = await startRegistry();
  await using sb = await sandbox();
  using repo = connectRepository(`${registry.host}/charts/app`);
  const v1 = await pushChartVersion(repo, { name: "app", version: "1.0.0" });
  const v2 = await pushChartVersion(repo, { name: "app", version: "1.2.0" });

  // No tag: the highest version, stored under its tag; a ref names another.
  expectCode(await sb.run(["chart", "copy", `${registry.host}/charts/app`, "oci:layout"]), 0);
  expectCode(
    await sb.run(["chart", "copy", `${registry.host}/charts/app:1.0.0`, "oci:layout:stable"]),
    0,
  );
  const index = JSON.parse(await Deno.readTextFile(`${sb.dir}/layout/index.json`));
  const refs = Object.fromEntries(
    index.manifests.map((
      d: { digest: string; annotations: Record<string, string> },
    ) => [d.annotations["org.opencontainers.image.ref.name"], d.digest]),
  );
  assert.deepEqual(refs, { "1.2.0": v2.digest, stable: v1.digest });

  // skopeo copies out of h3's layout into its own; h3 pushes from skopeo's layout.
  await skopeo("copy", `oci:${sb.dir}/layout:stable`, `oci:${sb.dir}/sko:v1`);
  expectCode(
    await sb.run(["chart", "copy", "oci:sko:v1", `${registry.host}/charts/again:1.0.0`]),
    0,
  );
  using again = connectRepository(`${registry.host}/charts/again`);
  assert.equal((await again.resolve("1.0.0")).digest, v1.digest);

  // The library's copyCharts does the same.
  const { copyCharts } = await import("../../mod.ts");
  const summary = await copyCharts(`${registry.host}/charts/app`, `oci-archive:${sb.dir}/lib.tar`, {
    allTags: true,
  });
  assert.deepEqual([summary.copied, summary.failed], [2, 0]);
  const raw = await skopeo("inspect", "--raw", `oci-archive:${sb.dir}/lib.tar:1.0.0`);
  assert.equal(JSON.parse(raw).config.mediaType, "application/vnd.cncf.helm.config.v1+json");
});

Deno.test("air gap: refusals name the problem and write nothing", async () => {
  await using registry = await startRegistry();
  await using sb = await sandbox();
  using repo = connectRepository(`${registry.host}/charts/app`);
  await pushChartVersion(repo, { name: "app", version: "1.0.0" });
  await pushImage(repo, "image");
  const src = `${registry.host}/charts/app`;

  const missing = expectCode(await sb.run(["chart", "copy", "oci-archive:none.tar", src]), 1);
  assert.equal(missing.stderr, "Error: oci-archive:none.tar: no such file\n");
  await Deno.mkdir(`${sb.dir}/notes`);
  await Deno.writeTextFile(`${sb.dir}/notes/todo.txt`, "x");
  const notLayout = expectCode(await sb.run(["chart", "copy", `${src}:1.0.0`, "oci:notes"]), 1);
  assert.equal(notLayout.stderr, "Error: oci:notes: not empty and not an OCI layout\n");
  assert.deepEqual([...Deno.readDirSync(`${sb.dir}/notes`)].map((e) => e.name), ["todo.txt"]);
  const noRef = expectCode(await sb.run(["chart", "copy", "oci:notes", src]), 1);
  assert.equal(noRef.stderr, "Error: oci:notes: not an OCI layout (no oci-layout file)\n");

  // Not a chart: the archive is not written.
  const image = expectCode(await sb.run(["chart", "copy", `${src}:image`, "oci-archive:x.tar"]), 1);
  assert.match(image.stderr, /not a Helm chart/);
  assert.equal(await Deno.stat(`${sb.dir}/x.tar`).catch(() => undefined), undefined);

  const bad = expectCode(await sb.run(["chart", "copy", `${src}:1.0.0`, "oci:dir:bad ref"]), 2);
  assert.match(bad.stderr, /invalid location "oci:dir:bad ref": invalid reference "bad ref"/);

  // A tar that is no layout archive.
  await Deno.writeTextFile(`${sb.dir}/junk.tar`, "not a tar at all".repeat(64));
  const junk = expectCode(await sb.run(["chart", "copy", "oci-archive:junk.tar", src]), 1);
  assert.match(junk.stderr, /^Error: oci-archive:junk\.tar: /);
});

Deno.test("air gap: a read-only oci:DIR source is read, never written to (no lock file)", async () => {
  await using registry = await startRegistry();
  await using sb = await sandbox();
  using repo = connectRepository(`${registry.host}/charts/app`);
  const v1 = await pushChartVersion(repo, { name: "app", version: "1.0.0" });
  // A layout as another tool writes it: skopeo makes no lock or temp files.
  await skopeo(
    "copy",
    `docker://${registry.host}/charts/app:1.0.0`,
    `oci:${sb.dir}/ro:1.0.0`,
    "--src-tls-verify=false",
  );
  const layout = `${sb.dir}/ro`;
  const before = await treeSnapshot(layout);
  await new Deno.Command("chmod", { args: ["-R", "a-w", layout] }).output();
  try {
    const out = expectCode(
      await sb.run(["chart", "copy", "oci:ro:1.0.0", `${registry.host}/mirror/app:1.0.0`]),
      0,
    );
    assert.match(out.stdout, /^1\.0\.0: copied app 1\.0\.0 \(2 blobs, /m);
    // No ref: the highest version, found by reading only.
    expectCode(await sb.run(["chart", "copy", "oci:ro", "oci-archive:out.tar"]), 0);
    expectCode(
      await sb.run(["chart", "copy", "oci:ro", `${registry.host}/all/app`, "--all-tags"]),
      0,
    );
  } finally {
    await new Deno.Command("chmod", { args: ["-R", "u+w", layout] }).output();
  }
  // (As root, permissions stop nothing: the listing shows that nothing was created or changed.)
  assert.deepEqual(await treeSnapshot(layout), before);
  using mirror = connectRepository(`${registry.host}/mirror/app`);
  assert.equal((await mirror.resolve("1.0.0")).digest, v1.digest);
});
