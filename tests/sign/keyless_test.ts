import assert from "node:assert/strict";
import { connectRepository } from "../../core/transport/repository.ts";
import { expectCode, sandbox } from "../helpers/cli.ts";
import { runPeer, testWithPeers } from "../helpers/peers.ts";
import { pushArtifact, pushCosignTag } from "../helpers/referrers.ts";
import { startRegistry } from "../helpers/registry.ts";
import { pushChartVersion } from "../helpers/remote_charts.ts";
import { type BundleOptions, testSigstore } from "../helpers/sigstore.ts";

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
    /no valid signature by mallory@example\.com \(1 bundle: a keyless bundle by another signer \(certificate identity is ci@example\.com, not mallory@example\.com\)\)$/m,
  );
  await refused("1.0.0", keyless(identity, "https://evil.example.com"), /issuer/);
  await refused("2.0.0", keyless(), /1 bundle: a keyless bundle signed for another manifest\)$/m);
  await refused("3.0.0", keyless(), /1 bundle: a keyless bundle that does not verify/);
  await refused("4.0.0", keyless(), /1 bundle: a keyless bundle that does not verify/);
  await refused("5.0.0", keyless(), /no Sigstore bundle or keyless signature to verify/);
  const index = await Deno.readTextFile(`${sb.helmHome}/registry/index.json`);
  assert.equal(JSON.parse(index).manifests.length, 1, "only the verified chart is cached");

  const partial = expectCode(
    await sb.run(["chart", "verify", `${name}:1.0.0`, "--certificate-identity", identity]),
    2,
  );
  assert.match(
    partial.stderr,
    /needs --certificate-identity \(or -regexp\), --certificate-oidc-issuer \(or -regexp\) and --trusted-root/,
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

Deno.test("keyless: v0.2 and v0.3 bundles with inclusion proofs verify, with a SET or an RFC 3161 signed timestamp; identity and issuer regexps; a bad proof, checkpoint, payload or timestamp is refused", async () => {
  await using registry = await startRegistry();
  await using sb = await sandbox();
  const sigstore = await testSigstore(sb.dir);
  const name = `${registry.host}/charts/app`;
  using repo = connectRepository(name);
  const cases: [string, BundleOptions][] = [
    ["1.0.0", { version: "0.2" }],
    ["2.0.0", { version: "0.3" }],
    ["3.0.0", { version: "0.3", tamper: "proof" }],
    ["4.0.0", { version: "0.2", tamper: "checkpoint" }],
    ["5.0.0", { version: "0.3", tamper: "payload" }],
    ["6.0.0", { version: "0.3", identity: "https://github.com/org/repo/.github/workflows/ci.yml" }],
    ["7.0.0", { version: "0.3", timestamp: "tsa" }],
    ["8.0.0", { version: "0.3", timestamp: "tsa", tamper: "tsa" }],
  ];
  const referrers = new Map<string, string>();
  for (const [version, options] of cases) {
    const chart = await pushChartVersion(repo, { name: "app", version });
    const bundle = await sigstore.bundle(chart.digest, options);
    const listed = await pushArtifact(repo, chart, bundleType, bundle, { tagSchema: true });
    referrers.set(version, listed.digest);
  }
  const root = ["--trusted-root", sigstore.trustedRoot];
  const exact = [...root, "--certificate-identity", identity, "--certificate-oidc-issuer", issuer];
  const verify = (version: string, args: string[]) =>
    sb.run(["chart", "verify", `${name}:${version}`, ...args]);

  // 7.0.0: the time comes from an RFC 3161 signed timestamp, the log entry has no SET.
  for (const version of ["1.0.0", "2.0.0", "7.0.0"]) {
    const ok = expectCode(await verify(version, exact), 0);
    assert.match(
      ok.stdout,
      new RegExp(
        `signed by ci@example\\.com \\(issuer https://token\\.example\\.com, ` +
          `Sigstore bundle ${referrers.get(version)}\\)\n$`,
      ),
    );
  }
  const bad = async (version: string, reason: RegExp) => {
    const out = expectCode(await verify(version, exact), 1);
    assert.match(out.stderr, reason);
    assert.equal(out.stderr.split("\n").length, 2, "one line");
  };
  await bad("3.0.0", /does not verify \(calculated root hash does not match inclusion proof\)/);
  await bad("4.0.0", /does not verify \(invalid checkpoint signature\)/);
  await bad("5.0.0", /does not verify \(.*(signature|hash).*\)/);
  await bad("8.0.0", /does not verify \(timestamp could not be verified\)/);

  // Regular expressions, unanchored as cosign's: the identity printed is the certificate's.
  const workflow = "https://github.com/org/repo/.github/workflows/ci.yml";
  const byPattern = expectCode(
    await verify("6.0.0", [
      ...root,
      "--certificate-identity-regexp",
      "^https://github\\.com/org/",
      "--certificate-oidc-issuer-regexp",
      "token\\.example\\.com$",
    ]),
    0,
  );
  assert.match(byPattern.stdout, new RegExp(`signed by ${workflow.replaceAll(".", "\\.")} \\(`));
  const otherOrg = expectCode(
    await verify("6.0.0", [
      ...root,
      "--certificate-identity-regexp",
      "^https://github\\.com/evil/",
      "--certificate-oidc-issuer",
      issuer,
    ]),
    1,
  );
  assert.match(
    otherOrg.stderr,
    /no valid signature by \/\^https:\/\/github\\\.com\/evil\/\/ \(1 bundle: a keyless bundle by another signer \(certificate identity https:\/\/github\.com\/org\/repo\S* does not match/,
  );
  const otherIssuer = expectCode(
    await verify("2.0.0", [
      ...root,
      "--certificate-identity",
      identity,
      "--certificate-oidc-issuer-regexp",
      "^https://accounts\\.google\\.com$",
    ]),
    1,
  );
  assert.match(
    otherIssuer.stderr,
    /certificate issuer https:\/\/token\.example\.com does not match/,
  );

  // Usage: both forms of one pair, or a pattern that is not one.
  const both = expectCode(
    await verify("2.0.0", [...exact, "--certificate-identity-regexp", "ci@"]),
    2,
  );
  assert.match(both.stderr, /one of each pair/);
  const broken = expectCode(
    await verify("2.0.0", [
      ...root,
      "--certificate-identity-regexp",
      "(",
      "--certificate-oidc-issuer",
      issuer,
    ]),
    2,
  );
  assert.match(broken.stderr, /^Error: --certificate-identity-regexp: /);

  // A trust policy in the config can name the signer by patterns too.
  const config = `${sb.dir}/regexp.yaml`;
  const policy = (identityKey: string, pattern: string) =>
    Deno.writeTextFile(
      config,
      `trust:\n  - scope: ${registry.host}/charts\n    keyless:\n` +
        `      - ${identityKey}: '${pattern}'\n        issuerRegexp: 'token'\n` +
        `        trustedRoot: ${sigstore.trustedRoot}\n`,
    );
  await policy("identityRegexp", "^https://github\\.com/org/");
  const env = { H3_CONFIG: config };
  const shown = expectCode(await sb.run(["env", "--registry", registry.host], { env }), 0);
  // Patterns show between slashes (env escapes the backslash in its quoted value).
  assert.ok(shown.stdout.includes("keyless=/^https://github\\\\.com/org//@/token/"), shown.stdout);
  expectCode(await sb.run(["chart", "pull", `${name}:6.0.0`], { env }), 0);
  expectCode(await sb.run(["chart", "pull", `${name}:2.0.0`], { env }), 1);
  await policy("identityRegexp", "(");
  const badConfig = expectCode(await sb.run(["chart", "pull", `${name}:6.0.0`], { env }), 1);
  assert.match(
    badConfig.stderr,
    /"trust\[0\]\.keyless\[0\]\.identityRegexp" not a regular expression/,
  );

  // The library takes the same signers.
  const { verifySignature } = await import("../../mod.ts");
  const result = await verifySignature(`${name}:6.0.0`, {
    identities: [{
      trustedRoot: sigstore.trustedRoot,
      identityRegexp: "^https://github\\.com/org/",
      issuer,
    }],
  });
  assert.deepEqual(result.kind === "keyless" && [result.identity, result.issuer], [
    workflow,
    issuer,
  ]);
});

testWithPeers(
  "keyless, cosign (peer): cosign verify --trusted-root accepts and refuses the same test bundles and classic .sig signatures h3 does",
  ["cosign"],
  async () => {
    await using registry = await startRegistry();
    await using sb = await sandbox();
    const sigstore = await testSigstore(sb.dir);
    const name = `${registry.host}/charts/app`;
    using repo = connectRepository(name);
    const cases: [string, BundleOptions, boolean][] = [
      ["1.0.0", { version: "0.3" }, true],
      ["2.0.0", { version: "0.3", tamper: "proof" }, false],
      ["3.0.0", { version: "0.3", tamper: "checkpoint" }, false],
      ["4.0.0", { version: "0.3", identity: "mallory@example.com" }, false],
      ["5.0.0", { version: "0.3", timestamp: "tsa" }, true],
      ["6.0.0", { version: "0.3", timestamp: "tsa", tamper: "tsa" }, false],
    ];
    // cosign's classic keyless form (.sig layer with certificate and Rekor bundle) too.
    const classic: [string, BundleOptions, boolean][] = [
      ["7.0.0", {}, true],
      ["8.0.0", { tamper: "payload" }, false],
      ["9.0.0", { identity: "mallory@example.com" }, false],
    ];
    for (const [version, options] of classic) {
      const chart = await pushChartVersion(repo, { name: "app", version });
      const sig = await sigstore.classic(name, chart.digest, options);
      await pushCosignTag(repo, chart, sig.payload, sig.signature, ".sig", sig.annotations);
    }
    for (const [version, options] of cases) {
      const chart = await pushChartVersion(repo, { name: "app", version });
      const bundle = await sigstore.bundle(chart.digest, options);
      // As cosign stores them: the bundle's content and predicate type as annotations.
      await pushArtifact(repo, chart, bundleType, bundle, {
        tagSchema: true,
        annotations: {
          "dev.sigstore.bundle.content": "dsse-envelope",
          "dev.sigstore.bundle.predicateType": "https://sigstore.dev/cosign/sign/v1",
        },
      });
    }
    for (const [version, options, good] of [...cases, ...classic]) {
      const ref = `${name}:${version}`;
      // cosign takes the time from a signed timestamp only when told to.
      const tsa = options.timestamp === "tsa" ? ["--use-signed-timestamps"] : [];
      const byCosign = await runPeer("cosign", [
        "verify",
        "--allow-http-registry",
        "--trusted-root",
        sigstore.trustedRoot,
        "--certificate-identity",
        identity,
        "--certificate-oidc-issuer",
        issuer,
        // The test CA issues no signed certificate timestamps; h3 does not check them either.
        "--insecure-ignore-sct",
        ...tsa,
        ref,
      ], { env: { HOME: sb.dir } });
      const byH3 = await sb.run([
        "chart",
        "verify",
        ref,
        "--trusted-root",
        sigstore.trustedRoot,
        "--certificate-identity",
        identity,
        "--certificate-oidc-issuer",
        issuer,
      ]);
      assert.equal(byCosign.code === 0, good, `cosign on ${version}: ${byCosign.stderr}`);
      assert.equal(byH3.code === 0, good, `h3 on ${version}: ${byH3.stderr}`);
    }
  },
);

Deno.test("keyless, cosign's classic form: a .sig layer with a certificate and a Rekor bundle verifies; tampered, another signer, another repository or outside the certificate's validity is refused", async () => {
  await using registry = await startRegistry();
  await using sb = await sandbox();
  const sigstore = await testSigstore(sb.dir);
  const name = `${registry.host}/charts/app`;
  using repo = connectRepository(name);
  const later = Math.floor(Date.now() / 1000) + 3 * 86400;
  const cases: [string, string, BundleOptions][] = [
    ["1.0.0", name, {}],
    ["2.0.0", name, { tamper: "payload" }],
    ["3.0.0", name, { identity: "mallory@example.com" }],
    ["4.0.0", `${registry.host}/upstream/app`, {}],
    ["5.0.0", name, { integratedTime: later }],
  ];
  const digests = new Map<string, string>();
  for (const [version, reference, options] of cases) {
    const chart = await pushChartVersion(repo, { name: "app", version });
    digests.set(version, chart.digest);
    const sig = await sigstore.classic(reference, chart.digest, options);
    await pushCosignTag(repo, chart, sig.payload, sig.signature, ".sig", sig.annotations);
  }
  const keyless = [
    "--certificate-identity",
    identity,
    "--certificate-oidc-issuer",
    issuer,
    "--trusted-root",
    sigstore.trustedRoot,
  ];
  const verify = (version: string, ...args: string[]) =>
    sb.run(["chart", "verify", `${name}:${version}`, ...keyless, ...args]);
  const ok = expectCode(await verify("1.0.0"), 0);
  const tag = `${digests.get("1.0.0")!.replace(":", "-")}.sig`;
  assert.equal(
    ok.stdout,
    `Verified ${name}:1.0.0 (${name}@${digests.get("1.0.0")}): signed by ${identity} ` +
      `(issuer ${issuer}, ${tag})\n`,
  );
  const refused = async (version: string, reason: RegExp) => {
    const out = expectCode(await verify(version), 1);
    assert.match(out.stderr, reason);
    assert.equal(out.stderr.split("\n").length, 2, "one line");
  };
  await refused("2.0.0", /\(1 keyless signature: a keyless signature that does not verify/);
  await refused("3.0.0", /certificate identity is mallory@example\.com, not ci@example\.com/);
  await refused("4.0.0", /signed as \S+\/upstream\/app, not \S+\/charts\/app/);
  await refused("5.0.0", /\(1 keyless signature: a keyless signature that does not verify/);
  // As JSON: the signer, and the .sig layer and tag that held the signature.
  const json = JSON.parse(expectCode(await verify("1.0.0", "-o", "json"), 0).stdout);
  assert.deepEqual(
    [json[0].kind, json[0].identity, json[0].issuer, json[0].tag],
    ["keyless", identity, issuer, tag],
  );
  assert.match(json[0].referrer, /^sha256:[0-9a-f]{64}$/);
  // The copy's rule: the source's name is accepted when named.
  expectCode(await verify("4.0.0", "--accept-reference", `${registry.host}/upstream/app`), 0);
  expectCode(
    await sb.run(["chart", "pull", `${name}:1.0.0`, "--verify", ...keyless]),
    0,
  );
});
