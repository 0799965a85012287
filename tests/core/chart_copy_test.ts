import assert from "node:assert/strict";
import { connectRepository } from "../../core/transport/repository.ts";
import { expectCode, sandbox } from "../helpers/cli.ts";
import { type StartRegistry, testEachRegistry } from "../helpers/registry.ts";
import { pushChartVersion, pushImage } from "../helpers/remote_charts.ts";

const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

async function mirrorAllTags(start: StartRegistry) {
  await using source = await start();
  await using mirror = await start();
  await using sb = await sandbox();
  const digests = new Map<string, string>();
  {
    using repo = connectRepository(`${source.host}/charts/app`);
    for (let i = 0; i < 50; i++) {
      const desc = await pushChartVersion(repo, { name: "app", version: `1.${i}.0` });
      digests.set(`1.${i}.0`, desc.digest);
    }
    await pushImage(repo, "image");
  }
  const src = `${source.host}/charts/app`;
  const dst = `oci://${mirror.host}/mirror/app`;

  const first = expectCode(await sb.run(["chart", "copy", src, dst, "--all-tags"]), 0);
  const lines = first.stdout.trimEnd().split("\n");
  assert.equal(lines.length, 52, first.stdout);
  assert.match(first.stdout, /^1\.7\.0: copied app 1\.7\.0 \(2 blobs, \d+ B\)$/m);
  assert.match(first.stdout, /^image: skipped, not a Helm chart: config media type is /m);
  assert.match(
    lines.at(-1)!,
    /^Copied 50 charts \(100 blobs, \d+(\.\d+)? KiB\), skipped 0, 1 tag not a chart$/,
  );
  assert.equal(await exists(`${sb.helmHome}/registry`), false, "the cache is not touched");

  using copied = connectRepository(`${mirror.host}/mirror/app`);
  const tags = await Array.fromAsync(copied.tags());
  assert.equal(tags.length, 50);
  for (const [tag, digest] of digests) assert.equal((await copied.resolve(tag)).digest, digest);

  const again = expectCode(await sb.run(["chart", "copy", src, dst, "--all-tags"]), 0);
  assert.equal(
    again.stdout.trimEnd().split("\n").at(-1),
    "Copied 0 charts (0 blobs, 0 B), skipped 50, 1 tag not a chart",
  );
  assert.match(again.stdout, /^1\.7\.0: up to date \(sha256:[0-9a-f]{64}\)$/m);
}
testEachRegistry(
  "copy --all-tags mirrors a 50-chart repository; a second run copies nothing",
  mirrorAllTags,
);

async function copyOne(start: StartRegistry) {
  await using source = await start();
  await using other = await start();
  await using sb = await sandbox();
  const digests: Record<string, string> = {};
  {
    using repo = connectRepository(`${source.host}/charts/app`);
    for (const version of ["1.0.0", "1.1.0", "2.0.0-rc.1"]) {
      digests[version] = (await pushChartVersion(repo, { name: "app", version })).digest;
    }
  }
  const src = `${source.host}/charts/app`;

  const tagged = expectCode(
    await sb.run(["chart", "copy", `${src}:1.0.0`, `${other.host}/x/app:stable`]),
    0,
  );
  assert.equal(
    tagged.stdout.split("\n")[0].replace(/\(.*\)/, "()"),
    "stable: copied app 1.0.0 ()",
  );
  using copied = connectRepository(`${other.host}/x/app`);
  assert.equal((await copied.resolve("stable")).digest, digests["1.0.0"]);

  const newest = expectCode(await sb.run(["chart", "copy", src, `${other.host}/x/app`]), 0);
  assert.match(newest.stdout, /^1\.1\.0: copied app 1\.1\.0 \(2 blobs, /);

  const mounted = expectCode(
    await sb.run(["chart", "copy", `${src}:1.1.0`, `${source.host}/team/app`, "--debug"]),
    0,
  );
  assert.match(mounted.stdout, /^1\.1\.0: copied app 1\.1\.0 \(2 blobs, \d+ B\)$/m);
  assert.match(mounted.stdout, /^Copied 1 chart \(2 blobs, \d+ B\), skipped 0$/m);
  const mounts = mounted.stderr.match(/^< 201 POST \/v2\/team\/app\/blobs\/uploads\//gm);
  assert.equal(mounts?.length, 2, `both blobs mounted, none uploaded:\n${mounted.stderr}`);
  assert.doesNotMatch(mounted.stderr, /^> (PUT|PATCH) .*\/blobs\/uploads\//m);

  const pin = `${src}:1.0.0@${digests["1.1.0"]}`;
  const wrong = await sb.run(["chart", "copy", pin, `${other.host}/x/pinned`]);
  assert.equal(wrong.code, 1);
  assert.equal(
    wrong.stderr.trim(),
    `Error: ${pin}: manifest digest is ${digests["1.0.0"]}, not the pinned ${digests["1.1.0"]}`,
  );
  using pinned = connectRepository(`${other.host}/x/pinned`);
  await assert.rejects(pinned.resolve("1.0.0"), /not found/);

  const usage = await sb.run([
    "chart",
    "copy",
    `${src}:1.0.0`,
    `${other.host}/x/app`,
    "--all-tags",
  ]);
  assert.equal(usage.code, 2);
}
testEachRegistry(
  "copy one chart: a tag, the highest version, a pin; within a registry blobs are mounted",
  copyOne,
);

async function aliasedTags(start: StartRegistry) {
  await using source = await start();
  await using mirror = await start();
  await using sb = await sandbox();
  let digest: string;
  {
    using repo = connectRepository(`${source.host}/charts/app`);
    const desc = await pushChartVersion(repo, { name: "app", version: "1.0.0" });
    digest = desc.digest;
    const bytes = new Uint8Array(await new Response(await repo.fetch(desc)).arrayBuffer());
    for (let i = 1; i < 120; i++) {
      await repo.pushReference(desc, ReadableStream.from([bytes]), `alias-${i}`);
    }
  }
  const src = `${source.host}/charts/app`;
  const dst = `${mirror.host}/mirror/app`;
  const run = expectCode(
    await sb.run(["chart", "copy", src, dst, "--all-tags", "--concurrency", "16"]),
    0,
  );
  assert.match(
    run.stdout.trimEnd().split("\n").at(-1)!,
    /^Copied 1 chart \(2 blobs, \d+ B\), tagged 119, skipped 0$/,
  );
  using copied = connectRepository(dst);
  const tags = await Array.fromAsync(copied.tags());
  assert.equal(tags.length, 120);
  for (const tag of tags) assert.equal((await copied.resolve(tag)).digest, digest);
  assert.match(run.stdout, /^alias-7: tagged \(sha256:[0-9a-f]{64}, copied for another tag\)$/m);
  const again = expectCode(await sb.run(["chart", "copy", src, dst, "--all-tags"]), 0);
  assert.equal(
    again.stdout.trimEnd().split("\n").at(-1),
    "Copied 0 charts (0 blobs, 0 B), skipped 120",
  );
}
testEachRegistry(
  "copy --all-tags of 120 tags naming one manifest copies it once, then tags the rest",
  aliasedTags,
);
