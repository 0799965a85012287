import assert from "node:assert/strict";
import { connectRepository } from "../core/transport/repository.ts";
import { expectCode, sandbox } from "./helpers/cli.ts";
import { pushArtifact } from "./helpers/referrers.ts";
import { startRegistry } from "./helpers/registry.ts";
import { pushChartVersion } from "./helpers/remote_charts.ts";
import { testSigstore } from "./helpers/sigstore.ts";

const bundleType = "application/vnd.dev.sigstore.bundle.v0.3+json";
const identity = "ci@example.com";
const issuer = "https://token.example.com";

Deno.test("keyless: a Fulcio-style certificate and Rekor-style entry verify offline against the trusted root", async () => {
  await using registry = await startRegistry();
  await using sb = await sandbox();
  const sigstore = await testSigstore(sb.dir);
  const other = await Deno.makeTempDir({ dir: sb.dir });
  const otherSigstore = await testSigstore(other);
  const name = `${registry.host}/charts/app`;
  using repo = connectRepository(name);
  const charts = [];
  for (const version of ["1.0.0", "2.0.0", "3.0.0", "4.0.0", "5.0.0"]) {
    charts.push(await pushChartVersion(repo, { name: "app", version }));
  }
  const [good, wrongDigest, expired, untrusted] = charts;
  const attach = async (chart: typeof good, bundle: string) =>
    await pushArtifact(repo, chart, bundleType, bundle, { tagSchema: true });
  const listed = await attach(good, await sigstore.bundle(good.digest));
  await attach(wrongDigest, await sigstore.bundle(good.digest));
  const later = Math.floor(Date.now() / 1000) + 3 * 86400;
  await attach(expired, await sigstore.bundle(expired.digest, { integratedTime: later }));
  await attach(untrusted, await otherSigstore.bundle(untrusted.digest));
  const keyless = (who = identity, from = issuer) => [
    "--certificate-identity",
    who,
    "--certificate-oidc-issuer",
    from,
    "--trusted-root",
    sigstore.trustedRoot,
  ];

  const ok = expectCode(await sb.run(["chart", "verify", `${name}:1.0.0`, ...keyless()]), 0);
  assert.equal(
    ok.stdout,
    `Verified ${name}:1.0.0 (${name}@${good.digest}): signed by ${identity} (issuer ${issuer}, ` +
      `Sigstore bundle ${listed.digest})\n`,
  );
  expectCode(await sb.run(["chart", "pull", `${name}:1.0.0`, "--verify", ...keyless()]), 0);

  const refused = async (tag: string, args: string[], reason: RegExp) => {
    const out = expectCode(
      await sb.run(["chart", "pull", `${name}:${tag}`, "--verify", ...args]),
      1,
    );
    assert.match(out.stderr, reason);
    assert.equal(out.stderr.split("\n").length, 2, "one line");
  };
  await refused(
    "1.0.0",
    keyless("mallory@example.com"),
    /no valid signature by mallory@example\.com \(1 bundle: .*certificate identity error - expected mallory@example\.com, got ci@example\.com/,
  );
  await refused("1.0.0", keyless(identity, "https://evil.example.com"), /issuer/);
  await refused("2.0.0", keyless(), /1 bundle: a keyless bundle signed for another manifest\)$/m);
  await refused("3.0.0", keyless(), /1 bundle: a keyless bundle that does not verify/);
  await refused("4.0.0", keyless(), /1 bundle: a keyless bundle that does not verify/);
  await refused("5.0.0", keyless(), /no Sigstore bundle to verify/);
  const index = await Deno.readTextFile(`${sb.helmHome}/registry/index.json`);
  assert.equal(JSON.parse(index).manifests.length, 1, "only the verified chart is cached");

  const partial = expectCode(
    await sb.run(["chart", "verify", `${name}:1.0.0`, "--certificate-identity", identity]),
    2,
  );
  assert.match(
    partial.stderr,
    /needs --certificate-identity, --certificate-oidc-issuer and --trusted-root/,
  );

  // The same signer as a trust policy in the config.
  await Deno.writeTextFile(
    `${sb.dir}/config.yaml`,
    `trust:\n  - scope: ${registry.host}/charts\n    keyless:\n      - identity: ${identity}\n` +
      `        issuer: ${issuer}\n        trustedRoot: trusted_root.json\n`,
  );
  const env = { H3_CONFIG: `${sb.dir}/config.yaml` };
  expectCode(await sb.run(["chart", "pull", `${name}:1.0.0`], { env }), 0);
  expectCode(await sb.run(["chart", "pull", `${name}:5.0.0`], { env }), 1);
});
