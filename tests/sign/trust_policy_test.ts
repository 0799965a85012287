import assert from "node:assert/strict";
import { connectRepository } from "../../core/transport/repository.ts";
import { expectCode, type Sandbox, sandbox } from "../helpers/cli.ts";
import { startRegistry } from "../helpers/registry.ts";
import { pushChartVersion } from "../helpers/remote_charts.ts";
import { modPath, runScript } from "../helpers/library.ts";
import { ecKeyPair } from "../helpers/sigstore.ts";
import { cachedRefs } from "../helpers/files.ts";

/** openssl's P-256 key pair in `dir`: `NAME.key` (PKCS#8) and `NAME.pub`. */
async function keyPair(dir: string, name: string) {
  const keys = await ecKeyPair(dir, name);
  return { key: keys.private, pub: keys.public };
}

/** Writes h3's config with `yaml` and returns the env that points h3 at it. */
async function config(sb: Sandbox, yaml: string): Promise<Record<string, string>> {
  await Deno.writeTextFile(`${sb.dir}/config.yaml`, yaml);
  return { H3_CONFIG: `${sb.dir}/config.yaml` };
}

Deno.test("trust policy: pull under a covered prefix needs a signature by its key; others do not", async () => {
  await using registry = await startRegistry();
  await using sb = await sandbox();
  const { key } = await keyPair(sb.dir, "cosign");
  const host = registry.host;
  let digest: string;
  {
    using charts = connectRepository(`${host}/charts/app`);
    digest = (await pushChartVersion(charts, { name: "app", version: "1.0.0" })).digest;
    using other = connectRepository(`${host}/other/app`);
    await pushChartVersion(other, { name: "app", version: "1.0.0" });
  }
  const env = await config(sb, `trust:\n  - scope: ${host}/charts\n    keys: [cosign.pub]\n`);
  const refused = expectCode(
    await sb.run(["chart", "pull", `${host}/charts/app:1.0.0`], { env }),
    1,
  );
  assert.equal(
    refused.stderr,
    `Error: ${host}/charts/app:1.0.0: no cosign signature (no ${
      digest.replace(":", "-")
    }.sig tag, no Sigstore bundle)\n`,
  );
  assert.deepEqual(await cachedRefs(sb), [], "nothing enters the cache");

  expectCode(await sb.run(["chart", "pull", `${host}/other/app:1.0.0`], { env }), 0);
  expectCode(await sb.run(["chart", "sign", `${host}/charts/app:1.0.0`, "--key", key], { env }), 0);
  expectCode(await sb.run(["chart", "pull", `${host}/charts/app:1.0.0`], { env }), 0);
  assert.deepEqual((await cachedRefs(sb)).sort(), [
    `${host}/charts/app:1.0.0`,
    `${host}/other/app:1.0.0`,
  ]);

  // A scope is whole path segments: charts-dev is not under charts.
  {
    using dev = connectRepository(`${host}/charts-dev/app`);
    await pushChartVersion(dev, { name: "app", version: "1.0.0" });
  }
  expectCode(await sb.run(["chart", "pull", `${host}/charts-dev/app:1.0.0`], { env }), 0);

  // Flags win over the policy.
  const { pub: otherPub } = await keyPair(sb.dir, "other");
  const flagged = expectCode(
    await sb.run(["chart", "pull", `${host}/charts/app:1.0.0`, "--verify", "--key", otherPub], {
      env,
    }),
    1,
  );
  assert.match(flagged.stderr, /not signed by this key, or altered since/);
});

Deno.test("trust policy: the longest scope applies; export checks the cached digest's signature; copy checks SRC", async () => {
  await using registry = await startRegistry();
  await using mirror = await startRegistry();
  await using sb = await sandbox();
  const { key } = await keyPair(sb.dir, "cosign");
  await keyPair(sb.dir, "team");
  const host = registry.host;
  {
    using repo = connectRepository(`${host}/charts/app`);
    await pushChartVersion(repo, { name: "app", version: "1.0.0" });
    await pushChartVersion(repo, { name: "app", version: "2.0.0" });
  }
  const ref = `${host}/charts/app:1.0.0`;
  // Pulled before any policy; then a policy arrives that this chart does not meet.
  expectCode(await sb.run(["chart", "pull", ref]), 0);
  const env = await config(
    sb,
    [
      "trust:",
      `  - scope: ${host}`,
      "    keys: [team.pub]",
      `  - scope: ${host}/charts/app`,
      "    keys: [cosign.pub]",
      "",
    ].join("\n"),
  );
  const out = `${sb.dir}/out`;
  const exported = expectCode(
    await sb.run(["chart", "export", ref, "--destination", out], { env }),
    1,
  );
  assert.match(
    exported.stderr,
    /^Error: .*: no cosign signature \(no sha256-[0-9a-f]{64}\.sig tag, no Sigstore bundle\)\n$/,
  );
  assert.equal(await Deno.stat(out).then(() => true, () => false), false, "nothing written");
  // The library's export is held to the same policy.
  const library = await runScript(
    sb.dir,
    `import { exportChart } from "${modPath}";
await exportChart("${ref}", "${out}").catch((e) => console.log(e.name, e.message));
`,
    { ...sb.env, ...env },
  );
  assert.match(
    library,
    /^SignatureError .*: no cosign signature \(no sha256-[0-9a-f]{64}\.sig tag, no Sigstore bundle\)\n$/,
  );
  assert.equal(await Deno.stat(out).then(() => true, () => false), false, "nothing written");

  // Signed with the team key: the host-wide policy would accept it, the longer scope does not.
  expectCode(await sb.run(["chart", "sign", ref, "--key", `${sb.dir}/team.key`], { env }), 0);
  expectCode(await sb.run(["chart", "export", ref, "--destination", out], { env }), 1);
  expectCode(await sb.run(["chart", "sign", ref, "--key", key], { env }), 0);
  expectCode(await sb.run(["chart", "export", ref, "--destination", out], { env }), 0);
  assert.ok(await Deno.stat(`${out}/app/Chart.yaml`));

  const copied = await sb.run(
    ["chart", "copy", `${host}/charts/app`, `${mirror.host}/m/app`, "--all-tags", "--referrers"],
    { env },
  );
  expectCode(copied, 3);
  assert.match(copied.stdout, /^1\.0\.0: copied app 1\.0\.0 /m);
  assert.match(copied.stderr, /^Error: 2\.0\.0: .*no cosign signature/m);
  using dst = connectRepository(`${mirror.host}/m/app`);
  assert.deepEqual(
    (await Array.fromAsync(dst.tags())).filter((t) => !t.startsWith("sha256-")),
    ["1.0.0"],
  );
  // The library's copy is held to the same policy.
  const copiedByLibrary = await runScript(
    sb.dir,
    `import { copyCharts } from "${modPath}";
const summary = await copyCharts("${host}/charts/app", "${mirror.host}/lib/app", {
  allTags: true,
  referrers: true,
});
console.log(summary.copied, summary.failed, summary.results.map((r) => r.status).sort().join());
`,
    { ...sb.env, ...env },
  );
  assert.equal(copiedByLibrary, "1 1 copied,failed\n");
});

Deno.test("trust policy after a copy: the mirror's scope accepts the source's name only when told to", async () => {
  await using source = await startRegistry();
  await using mirror = await startRegistry();
  await using sb = await sandbox();
  const { key } = await keyPair(sb.dir, "cosign");
  const src = `${source.host}/charts/app`;
  {
    using repo = connectRepository(src);
    await pushChartVersion(repo, { name: "app", version: "1.0.0" });
  }
  expectCode(await sb.run(["chart", "sign", `${src}:1.0.0`, "--key", key]), 0);
  const dst = `${mirror.host}/mirror/app`;
  expectCode(await sb.run(["chart", "copy", `${src}:1.0.0`, dst, "--referrers"]), 0);

  const strict = await config(sb, `trust:\n  - scope: ${mirror.host}\n    keys: [cosign.pub]\n`);
  const refused = expectCode(await sb.run(["chart", "pull", `${dst}:1.0.0`], { env: strict }), 1);
  assert.match(refused.stderr, new RegExp(`signed as ${src}, not ${dst}`));

  const accepting = await config(
    sb,
    `trust:\n  - scope: ${mirror.host}\n    keys: [cosign.pub]\n    acceptReferences: [${src}]\n`,
  );
  expectCode(await sb.run(["chart", "pull", `${dst}:1.0.0`], { env: accepting }), 0);
});

Deno.test("h3 env --registry shows the trust policies of that host; a policy without keys is refused", async () => {
  await using sb = await sandbox();
  const env = await config(
    sb,
    [
      "trust:",
      "  - scope: charts.example.com/stable",
      "    keys: [keys/cosign.pub]",
      "    acceptReferences: [upstream.example.com/stable/app]",
      "  - scope: charts.example.com",
      "    keyrings: [/etc/h3/pubring.gpg]",
      "  - scope: other.example.com",
      "    keys: [/k.pub]",
      "",
    ].join("\n"),
  );
  const text = expectCode(await sb.run(["env", "--registry", "charts.example.com"], { env }), 0);
  assert.match(
    text.stdout,
    new RegExp(
      `^H3_TRUST="charts\\.example\\.com/stable: keys=${sb.dir}/keys/cosign\\.pub keyrings= ` +
        `acceptReferences=upstream\\.example\\.com/stable/app; charts\\.example\\.com: keys= ` +
        `keyrings=/etc/h3/pubring\\.gpg"$`,
      "m",
    ),
  );
  const json = JSON.parse(
    expectCode(await sb.run(["env", "-o", "json", "--registry", "other.example.com"], { env }), 0)
      .stdout,
  );
  assert.deepEqual(json.registry.trust, [
    {
      scope: "other.example.com",
      keys: ["/k.pub"],
      keyrings: [],
      acceptReferences: [],
      keyless: [],
    },
  ]);
  const none = expectCode(await sb.run(["env", "--registry", "ghcr.io"], { env }), 0);
  assert.doesNotMatch(none.stdout, /H3_TRUST/);

  const bad = await config(sb, "trust:\n  - scope: charts.example.com\n");
  const error = expectCode(await sb.run(["env"], { env: bad }), 1);
  assert.equal(
    error.stderr,
    `Error: invalid config ${sb.dir}/config.yaml: "trust[0]" names no keys, keyrings or keyless ` +
      "signers: nothing could satisfy it\n",
  );
});
