import assert from "node:assert/strict";
import { selectTag, tagVersion, versionTags } from "../../core/chart/versions.ts";
import { SettingError } from "../../core/errors.ts";
import { connectRepository } from "../../core/transport/repository.ts";
import { expectCode, type Sandbox, sandbox } from "../helpers/cli.ts";
import { startRegistry } from "../helpers/registry.ts";
import { pushChartVersion } from "../helpers/remote_charts.ts";

const tags = [
  "latest",
  "1.0.0",
  "1.2.0",
  "1.2.5",
  "1.2.5_build.7",
  "1.3.0-rc.1",
  "2.0.0",
  "2.1.0-beta.2",
  "v3.0.0",
  "stable",
];

Deno.test("SemVer tags: '_' reads as '+', newest first; 'v3.0.0' and 'latest' are not versions", () => {
  assert.equal(tagVersion("1.2.5_build.7"), "1.2.5+build.7");
  assert.equal(tagVersion("v3.0.0"), undefined);
  assert.equal(tagVersion("latest"), undefined);
  assert.deepEqual(versionTags(tags).map((v) => v.tag), [
    "2.1.0-beta.2",
    "2.0.0",
    "1.3.0-rc.1",
    "1.2.5",
    "1.2.5_build.7",
    "1.2.0",
    "1.0.0",
  ]);
});

Deno.test("no version selects the highest stable version, --devel the highest of all", () => {
  assert.equal(selectTag(tags), "2.0.0");
  assert.equal(selectTag(tags, { devel: true }), "2.1.0-beta.2");
  assert.equal(selectTag(["latest", "stable"]), "latest", "no SemVer tags: latest, as Docker");
  assert.equal(selectTag(["stable"]), undefined);
  assert.equal(selectTag(["1.0.0-rc.1"]), undefined, "only pre-releases need --devel");
});

Deno.test("ranges select the highest match; pre-releases only with --devel or when named", () => {
  assert.equal(selectTag(tags, { version: "^1.2.0" }), "1.2.5");
  assert.equal(selectTag(tags, { version: "^1.2.0", devel: true }), "1.3.0-rc.1");
  assert.equal(selectTag(tags, { version: "~1.3.0-0" }), "1.3.0-rc.1");
  assert.equal(selectTag(tags, { version: ">=1.0.0, <1.2.0" }), "1.0.0", "Helm's comma form");
  assert.equal(selectTag(tags, { version: "1.x" }), "1.2.5");
  assert.equal(selectTag(tags, { version: "^9.0.0" }), undefined);
  assert.equal(selectTag(tags, { version: "3.x" }), undefined, "v3.0.0 is no SemVer tag");
});

Deno.test("an exact version wins, '+' build metadata found under its '_' tag", () => {
  assert.equal(selectTag(tags, { version: "1.2.5+build.7" }), "1.2.5_build.7");
  assert.equal(selectTag(tags, { version: "1.2.5" }), "1.2.5");
  assert.equal(selectTag(tags, { version: "stable" }), "stable", "an exact tag, as Helm");
  assert.throws(() => selectTag(tags, { version: "not a range" }), SettingError);
});

/** A registry with `tags` of chart `app`, each version's digest by tag. */
async function seed(host: string): Promise<Record<string, string>> {
  using repo = connectRepository(`${host}/charts/app`);
  const digests: Record<string, string> = {};
  for (const tag of ["1.0.0", "1.2.0", "1.2.5", "1.2.5_build.7", "1.3.0-rc.1", "2.0.0"]) {
    const version = tag.replace("_", "+");
    digests[tag] = (await pushChartVersion(repo, { name: "app", version }, { tag })).digest;
  }
  return digests;
}

async function cachedRefs(sb: Sandbox): Promise<string[]> {
  const listed = expectCode(await sb.run(["chart", "list", "-o", "json"]), 0);
  return JSON.parse(listed.stdout).map((r: { ref: string }) => r.ref);
}

async function blobCount(sb: Sandbox): Promise<number> {
  const dir = `${sb.helmHome}/registry/blobs/sha256`;
  return (await Array.fromAsync(Deno.readDir(dir)).catch(() => [])).length;
}

Deno.test("pull REPO --version RANGE [--devel] pulls the highest matching tag", async () => {
  await using registry = await startRegistry();
  await using sb = await sandbox();
  await seed(registry.host);
  const repo = `${registry.host}/charts/app`;

  const ranged = expectCode(await sb.run(["chart", "pull", repo, "--version", "^1.2.0"]), 0);
  assert.equal(ranged.stdout.split("\n")[0], `1.2.5: Pulling from ${repo}`);
  assert.match(ranged.stdout, /^Version: 1\.2\.5$/m);

  const newest = expectCode(await sb.run(["chart", "pull", repo]), 0);
  assert.match(
    newest.stdout,
    new RegExp(`^Status: Downloaded newer chart for ${repo}:2\\.0\\.0$`, "m"),
  );

  const devel = expectCode(
    await sb.run(["chart", "pull", repo, "--version", "~1.3", "--devel"]),
    0,
  );
  assert.match(devel.stdout, /^Version: 1\.3\.0-rc\.1$/m);

  const build = expectCode(
    await sb.run(["chart", "pull", `oci://${repo}`, "--version", "1.2.5+build.7", "-d", "."]),
    0,
  );
  assert.match(build.stdout, new RegExp(`^Pulled: ${repo}:1\\.2\\.5_build\\.7$`, "m"));
  assert.ok((await Deno.stat(`${sb.dir}/app-1.2.5+build.7.tgz`)).isFile);

  assert.deepEqual((await cachedRefs(sb)).sort(), [
    `${repo}:1.2.5`,
    `${repo}:1.3.0-rc.1`,
    `${repo}:2.0.0`,
  ]);

  const none = await sb.run(["chart", "pull", repo, "--version", "^9.0.0"]);
  assert.equal(none.code, 1);
  assert.equal(
    none.stderr.trim(),
    `Error: ${repo}: no version matches "^9.0.0" (newest: 2.0.0, 1.3.0-rc.1, 1.2.5, 1.2.5+build.7, 1.2.0, ...)`,
  );
  const both = await sb.run(["chart", "pull", `${repo}:1.0.0`, "--version", "2.0.0"]);
  assert.equal(both.code, 2, both.stderr);
});

Deno.test("digest pins: the manifest must hash to the pin, else an error and nothing cached", async () => {
  await using registry = await startRegistry();
  await using sb = await sandbox();
  const digests = await seed(registry.host);
  const repo = `${registry.host}/charts/app`;

  const wrong = await sb.run(["chart", "pull", `${repo}:1.0.0@${digests["2.0.0"]}`]);
  assert.equal(wrong.code, 1);
  assert.equal(
    wrong.stderr.trim(),
    `Error: ${repo}:1.0.0@${digests["2.0.0"]}: manifest digest is ${digests["1.0.0"]}, ` +
      `not the pinned ${digests["2.0.0"]}`,
  );
  const unknown = `sha256:${"0".repeat(64)}`;
  const missing = await sb.run(["chart", "pull", `${repo}@${unknown}`]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /not found/);
  const toFile = await sb.run(["chart", "pull", `${repo}:1.0.0@${digests["2.0.0"]}`, "-d", "out"]);
  assert.equal(toFile.code, 1);
  assert.deepEqual(await cachedRefs(sb), []);
  assert.equal(await blobCount(sb), 0);
  assert.equal(await Deno.stat(`${sb.dir}/out`).catch(() => undefined), undefined);

  expectCode(await sb.run(["chart", "pull", `${repo}:1.0.0@${digests["1.0.0"]}`]), 0);
  const byDigest = expectCode(await sb.run(["chart", "pull", `${repo}@${digests["2.0.0"]}`]), 0);
  assert.match(byDigest.stdout, /^Version: 2\.0\.0$/m);
  assert.deepEqual((await cachedRefs(sb)).sort(), [
    `${repo}:1.0.0@${digests["1.0.0"]}`,
    `${repo}@${digests["2.0.0"]}`,
  ]);
});
