/**
 * One rule for a reference without a tag or digest, in every command that takes one (issue 13):
 * the only tag there is (in the cache, or in the registry), else the highest stable SemVer one;
 * when that is ambiguous, an error listing the tags, and nothing changed. `chart delete` alone
 * insists on a tag or digest: it deletes in the registry.
 */
import assert from "node:assert/strict";
import { untaggedTag } from "../../core/chart/versions.ts";
import { fixtureChart } from "../helpers/charts.ts";
import { expectCode, sandbox } from "../helpers/cli.ts";
import { startRegistry } from "../helpers/registry.ts";
import { ecKeyPair } from "../helpers/sigstore.ts";

Deno.test("untaggedTag: the only tag, else the highest stable version, else latest, else none", () => {
  assert.equal(untaggedTag(["dev"]), "dev", "the only tag, a version or not");
  assert.equal(untaggedTag(["1.0.0-rc.1"]), "1.0.0-rc.1", "the only tag, a pre-release too");
  assert.equal(untaggedTag(["1.0.0", "2.10.0", "2.9.0", "latest"]), "2.10.0");
  assert.equal(untaggedTag(["stable", "latest"]), "latest");
  assert.equal(untaggedTag(["dev", "stable"]), undefined, "ambiguous");
  assert.equal(untaggedTag([]), undefined);
  assert.equal(untaggedTag(["dev"], { version: "^1.0.0" }), undefined, "a range must match");
});

Deno.test("every command reads an untagged reference by the same rule", async () => {
  await using registry = await startRegistry();
  await using box = await sandbox();
  const repo = `${registry.host}/team/webapp`;
  const ok = async (args: string[]) => expectCode(await box.run(args), 0).stdout;
  await ecKeyPair(box.dir); // cosign.key, cosign.pub

  await ok(["chart", "save", fixtureChart, repo]); // cached as 2.7.0, the only tag
  assert.match(await ok(["chart", "verify", repo]), /^Verified 1 ref and 3 blobs: no problems$/m);
  assert.match(await ok(["chart", "export", repo, "-d", "out"]), /^Exported to out\/mychart\/$/m);
  assert.match(await ok(["chart", "push", repo]), /^2\.7\.0: pushed to remote/m);
  // The registry holds 2.7.0 only: tag, sign and verify --key take it.
  const [pushed] = JSON.parse(await ok(["chart", "tags", repo, "-o", "json"]));
  assert.equal(
    await ok(["chart", "tag", repo, "stable"]),
    `${repo}:stable: tagged ${pushed.digest}\n`,
  );
  // Now 2.7.0 and stable: the highest stable version, 2.7.0.
  assert.match(
    await ok(["chart", "sign", repo, "--key", "cosign.key"]),
    new RegExp(`^Signed ${repo}:2\\.7\\.0 `),
  );
  assert.match(
    await ok(["chart", "verify", repo, "--key", "cosign.pub"]),
    new RegExp(`^Verified ${repo}:2\\.7\\.0 `),
  );
  assert.match(await ok(["chart", "show", "chart", repo]), /^version: 2\.7\.0$/m);
  assert.match(await ok(["chart", "remove", repo]), /^2\.7\.0: removed$/m);
  assert.deepEqual(JSON.parse(await ok(["chart", "list", "-o", "json"])), []);

  // A registry repository whose only tag is no version: pull takes it.
  const other = `${registry.host}/team/other`;
  await ok(["chart", "save", fixtureChart, `${other}:dev`]);
  await ok(["chart", "push", other]);
  await ok(["chart", "remove", other]);
  assert.match(await ok(["chart", "pull", other]), /^dev: Pulling from /m);

  // Two tags and no version among them: one line listing them, nothing removed.
  await ok(["chart", "save", fixtureChart, `${other}:stable`]);
  const ambiguous = expectCode(await box.run(["chart", "remove", other]), 1);
  assert.equal(
    ambiguous.stderr,
    `Error: ${other}: 2 charts in the cache and no stable version among them to pick; ` +
      "name the tag: dev, stable\n",
  );
  assert.equal(JSON.parse(await ok(["chart", "list", "-o", "json"])).length, 2);

  const missing = expectCode(await box.run(["chart", "pull", `${registry.host}/team/none`]), 1);
  assert.equal(
    missing.stderr,
    `Error: ${registry.host}/team/none: no such repository in the registry\n`,
    "named once",
  );

  const untagged = expectCode(await box.run(["chart", "delete", repo, "--remote"]), 2);
  assert.equal(untagged.stderr, `Error: ${repo}: name the tag or digest to delete\n`);
});
