/**
 * Air gap with referrers: a chart's cosign signature (`sha256-<hex>.sig`) and an attestation in
 * the referrers tag schema (one of them an image index) travel REG → oci-archive → OTHER with
 * `--all-tags --referrers`.
 */
import assert from "node:assert/strict";
import { connectRepository } from "../../core/transport/repository.ts";
import { expectCode, sandbox } from "../helpers/cli.ts";
import { pushArtifact, pushCosignTag, pushIndexArtifact } from "../helpers/referrers.ts";
import { startRegistry } from "../helpers/registry.ts";
import { pushChartVersion } from "../helpers/remote_charts.ts";

Deno.test("air gap: signatures and attestations travel through an oci-archive with --referrers", async () => {
  await using registry = await startRegistry();
  await using other = await startRegistry();
  await using sb = await sandbox();
  using repo = connectRepository(`${registry.host}/charts/app`);
  const chart = await pushChartVersion(repo, { name: "app", version: "1.0.0" });
  const sig = await pushCosignTag(repo, chart, new TextEncoder().encode("{}"), "c2lnbmF0dXJl");
  const sbom = await pushArtifact(repo, chart, "application/spdx+json", "{}", { tagSchema: true });
  // A referrer that is an image index (an SBOM per platform), with the manifests it lists.
  const perPlatform = await pushIndexArtifact(repo, chart, "application/vnd.example.sboms", [
    '{"os":"linux"}',
    '{"os":"darwin"}',
  ], { tagSchema: true });

  const out = expectCode(
    await sb.run([
      "chart",
      "copy",
      `${registry.host}/charts/app`,
      "oci-archive:bundle.tar",
      "--all-tags",
      "--referrers",
    ]),
    0,
  );
  assert.match(out.stdout, /^Copied 1 chart .*referrers: 3 copied/m);
  const back = expectCode(
    await sb.run([
      "chart",
      "copy",
      "oci-archive:bundle.tar",
      `${other.host}/mirror/app`,
      "--all-tags",
      "--referrers",
    ]),
    0,
  );
  assert.match(back.stdout, /^Copied 1 chart .*referrers: 3 copied/m);
  using mirror = connectRepository(`${other.host}/mirror/app`);
  assert.equal((await mirror.resolve("1.0.0")).digest, chart.digest);
  const hex = chart.digest.slice("sha256:".length);
  assert.equal((await mirror.resolve(`sha256-${hex}.sig`)).digest, sig.digest);
  const listed = expectCode(
    await sb.run(["chart", "referrers", `${other.host}/mirror/app:1.0.0`, "-o", "json"]),
    0,
  );
  assert.match(listed.stdout, new RegExp(sbom.digest));
  assert.match(listed.stdout, new RegExp(perPlatform.listed.digest));
  for (const child of perPlatform.children) {
    assert.equal((await mirror.resolve(child.digest)).digest, child.digest);
  }
});
