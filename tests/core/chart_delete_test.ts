import assert from "node:assert/strict";
import { connectRepository } from "../../core/transport/repository.ts";
import { expectCode, sandbox } from "../helpers/cli.ts";
import { startRegistry } from "../helpers/registry.ts";
import { pushChartVersion, pushImage } from "../helpers/remote_charts.ts";

Deno.test("delete --remote removes a chart's manifest by tag or digest, and only charts", async () => {
  await using registry = await startRegistry();
  await using sb = await sandbox();
  using repo = connectRepository(`${registry.host}/charts/app`);
  const one = await pushChartVersion(repo, { name: "app", version: "1.0.0" });
  const two = await pushChartVersion(repo, { name: "app", version: "2.0.0" });
  await pushImage(repo, "image");
  const ref = `${registry.host}/charts/app`;

  const byTag = expectCode(await sb.run(["chart", "delete", `${ref}:1.0.0`, "--remote"]), 0);
  assert.equal(byTag.stdout, `1.0.0: deleted from remote (${one.digest})\n`);
  await assert.rejects(repo.resolve("1.0.0"), /not found/);

  const byDigest = expectCode(
    await sb.run(["chart", "delete", `${ref}@${two.digest}`, "--remote"]),
    0,
  );
  assert.equal(byDigest.stdout, `${two.digest}: deleted from remote (${two.digest})\n`);
  await assert.rejects(repo.resolve("2.0.0"), /not found/);

  const image = await sb.run(["chart", "delete", `${ref}:image`, "--remote"]);
  assert.equal(image.code, 1);
  assert.match(image.stderr, /^Error: .*:image: not a Helm chart: config media type is /);
  assert.ok(await repo.resolve("image"), "what is not a chart stays");
});

Deno.test("delete: a registry with deletes disabled is named; without --remote, a pointer to remove", async () => {
  await using registry = await startRegistry({ deleteEnabled: false });
  await using sb = await sandbox();
  using repo = connectRepository(`${registry.host}/charts/app`);
  const desc = await pushChartVersion(repo, { name: "app", version: "1.0.0" });
  const ref = `${registry.host}/charts/app:1.0.0`;

  const refused = await sb.run(["chart", "delete", ref, "--remote"]);
  assert.equal(refused.code, 1);
  assert.equal(
    refused.stderr.trim(),
    `Error: ${registry.host} refused to delete manifest ${desc.digest} of ${ref}: ` +
      "deleting is disabled or unsupported there (UNSUPPORTED, HTTP 405)",
  );
  assert.equal((await repo.resolve("1.0.0")).digest, desc.digest);

  const local = await sb.run(["chart", "delete", ref]);
  assert.equal(local.code, 2);
  assert.match(local.stderr, /add --remote .*"h3 chart remove REF"/);
  const untagged = await sb.run(["chart", "delete", `${registry.host}/charts/app`, "--remote"]);
  assert.equal(untagged.code, 2);
  assert.match(untagged.stderr, /name the tag or digest to delete/);
});
