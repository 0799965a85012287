import assert from "node:assert/strict";
import { encodeConfig } from "../../core/chart/config.ts";
import { helmConfig, helmContent, helmProvenance } from "../../core/oci/media_types.ts";
import { connectRepository } from "../../core/transport/repository.ts";
import { fileEntry, fixtureChart, tgz } from "../helpers/charts.ts";
import { expectCode, sandbox } from "../helpers/cli.ts";
import { exec, gnupg } from "../helpers/gnupg.ts";
import { startRegistry } from "../helpers/registry.ts";
import { pushBlob, pushManifest } from "../helpers/remote_charts.ts";
import { peer } from "../helpers/peers.ts";
import { cacheIsEmpty } from "../helpers/files.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The text a clearsigned message signs (dash-escaping undone). */
function signedText(prov: string): string {
  const body = prov.slice(prov.indexOf("\n\n") + 2, prov.indexOf("\n-----BEGIN PGP SIGNATURE"));
  return body.split("\n").map((line) => line.startsWith("- ") ? line.slice(2) : line).join("\n");
}

/** The .prov layer of a chart in a registry. */
async function provOf(ref: string, tag: string): Promise<string> {
  using repo = connectRepository(ref);
  const { bytes } = await repo.fetchReference(tag);
  const manifest = JSON.parse(decoder.decode(bytes));
  const layer = manifest.layers.find((l: { mediaType: string }) => l.mediaType === helmProvenance);
  assert.ok(layer, "the manifest has a provenance layer");
  return decoder.decode(await new Response(await repo.fetch(layer)).bytes());
}

Deno.test("save --sign writes Helm's .prov (gpg --verify accepts it); push carries it; pull --verify --keyring checks it", async () => {
  await using registry = await startRegistry();
  await using sb = await sandbox();
  const pg = await gnupg(sb.dir);
  const ref = `${registry.host}/charts/mychart`;
  const saved = expectCode(
    await sb.run([
      "chart",
      "save",
      fixtureChart,
      ref,
      "--sign",
      "--key",
      "Test Signer",
      "--keyring",
      pg.secring,
    ]),
    0,
  );
  assert.match(saved.stdout, /^[0-9a-f]{7}: Saving provenance \(\d+(\.\d+)? (B|KiB)\)$/m);
  expectCode(await sb.run(["chart", "push", `${ref}:2.7.0`]), 0);
  const prov = await provOf(ref, "2.7.0");
  using repo = connectRepository(ref);
  const manifest = JSON.parse(decoder.decode((await repo.fetchReference("2.7.0")).bytes));
  const content = manifest.layers[0].digest;
  assert.match(prov, /^-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n/);
  assert.equal(
    signedText(prov),
    "apiVersion: v2\nappVersion: 1.16.0\ndescription: A Helm chart for Kubernetes\n" +
      "name: mychart\ntype: application\nversion: 2.7.0\n\n...\nfiles:\n" +
      `  mychart-2.7.0.tgz: ${content}\n`,
  );
  await Deno.writeTextFile(`${sb.dir}/mychart.prov`, prov);
  const gpgVerify = await exec("gpg", ["--verify", `${sb.dir}/mychart.prov`], pg.env);
  assert.equal(gpgVerify.code, 0, gpgVerify.stderr);
  assert.match(gpgVerify.stderr, /Good signature from "Test Signer <test@example.com>"/);

  await using fresh = await sandbox();
  const verified = expectCode(
    await fresh.run(["chart", "verify", `${ref}:2.7.0`, "--keyring", pg.pubring]),
    0,
  );
  assert.equal(
    verified.stdout,
    `Verified ${ref}:2.7.0 (${ref}@${manifest.layers && (await repo.resolve("2.7.0")).digest}): ` +
      `provenance signed by Test Signer <test@example.com> (${pg.pubring})\n`,
  );
  expectCode(
    await fresh.run(["chart", "pull", `${ref}:2.7.0`, "--verify", "--keyring", pg.pubring]),
    0,
  );
  assert.equal(await cacheIsEmpty(fresh), false);

  // Helm's file form: --prov writes the .prov beside the archive; --verify refuses before writing.
  const files = expectCode(
    await fresh.run([
      "chart",
      "pull",
      `oci://${ref}`,
      "--version",
      "2.7.0",
      "--prov",
      "--verify",
      "--keyring",
      pg.pubring,
    ]),
    0,
  );
  assert.match(files.stdout, /^Saved: mychart-2\.7\.0\.tgz\nSaved: mychart-2\.7\.0\.tgz\.prov$/m);
  assert.equal(await Deno.readTextFile(`${fresh.dir}/mychart-2.7.0.tgz.prov`), prov);
  const wrongKey = expectCode(
    await fresh.run([
      "chart",
      "pull",
      `oci://${ref}`,
      "--version",
      "2.7.0",
      "-d",
      "out",
      "--prov",
      "--verify",
      "--keyring",
      pg.otherRing,
    ]),
    1,
  );
  assert.match(wrongKey.stderr, /the provenance is not signed by a key in /);
  assert.equal(await Deno.stat(`${fresh.dir}/out`).then(() => true, () => false), false);

  await using third = await sandbox();
  const refused = expectCode(
    await third.run(["chart", "pull", `${ref}:2.7.0`, "--verify", "--keyring", pg.otherRing]),
    1,
  );
  assert.equal(
    refused.stderr,
    `Error: ${ref}:2.7.0: the provenance is not signed by a key in ${pg.otherRing}, or was altered since\n`,
  );
  assert.ok(await cacheIsEmpty(third), "nothing enters the cache");
});

/** Pushes a chart whose provenance layer is `prov` (or none); returns the content digest. */
async function pushWithProv(
  host: string,
  tag: string,
  prov: (contentDigest: string) => Promise<string | undefined>,
) {
  using repo = connectRepository(`${host}/charts/app`);
  const meta = { apiVersion: "v2", name: "app", version: "1.0.0" };
  const config = await pushBlob(repo, encodeConfig(meta), helmConfig);
  const content = await pushBlob(
    repo,
    await tgz([
      fileEntry("app/Chart.yaml", `apiVersion: v2\nname: app\nversion: 1.0.0\n# ${tag}\n`),
    ]),
    helmContent,
  );
  const text = await prov(content.digest);
  const layers = [content];
  if (text !== undefined) layers.push(await pushBlob(repo, encoder.encode(text), helmProvenance));
  await pushManifest(repo, config, layers, tag);
  return content.digest;
}

Deno.test("a .prov made with gpg --clearsign in Helm's layout verifies; tampered, another chart's, unsigned: refused", async () => {
  await using registry = await startRegistry();
  await using sb = await sandbox();
  const pg = await gnupg(sb.dir);
  const message = (digest: string) =>
    `apiVersion: v2\nname: app\nversion: 1.0.0\n\n...\nfiles:\n  app-1.0.0.tgz: ${digest}\n`;
  const clearsign = async (text: string) => {
    await Deno.writeTextFile(`${sb.dir}/msg`, text);
    await pg.gpg(
      "--local-user",
      "Test Signer",
      "--digest-algo",
      "SHA512",
      "--output",
      `${sb.dir}/msg.asc`,
      "--clearsign",
      `${sb.dir}/msg`,
    );
    return await Deno.readTextFile(`${sb.dir}/msg.asc`);
  };
  const name = `${registry.host}/charts/app`;
  const pull = (tag: string) =>
    sb.run(["chart", "pull", `${name}:${tag}`, "--verify", "--keyring", pg.pubring]);

  await pushWithProv(registry.host, "good", async (digest) => await clearsign(message(digest)));
  expectCode(await pull("good"), 0);
  await Deno.remove(`${sb.helmHome}/registry`, { recursive: true });

  await pushWithProv(registry.host, "edited", async (digest) => {
    const signed = await clearsign(message("sha256:" + "0".repeat(64)));
    return signed.replace("sha256:" + "0".repeat(64), digest);
  });
  assert.equal(
    expectCode(await pull("edited"), 1).stderr,
    `Error: ${name}:edited: the provenance is not signed by a key in ${pg.pubring}, or was altered since\n`,
  );

  const other = "sha256:" + "1".repeat(64);
  const content = await pushWithProv(registry.host, "other", () => clearsign(message(other)));
  assert.equal(
    expectCode(await pull("other"), 1).stderr,
    `Error: ${name}:other: the provenance's checksum of app-1.0.0.tgz is ${other}, not ${content}\n`,
  );

  await pushWithProv(registry.host, "unsigned", () => Promise.resolve(undefined));
  assert.equal(
    expectCode(await pull("unsigned"), 1).stderr,
    `Error: ${name}:unsigned: no Helm provenance (the chart was pushed unsigned)\n`,
  );
  assert.ok(await cacheIsEmpty(sb), "nothing refused enters the cache");
});

/** Helm 3, when scripts/peers.sh has built it. */
const helm3 = peer("helm3")?.path;

Deno.test({
  name:
    "helm (peer): h3's .prov has helm package --sign's text, and helm verify accepts h3's package",
  ignore: !helm3,
  fn: async () => {
    await using registry = await startRegistry();
    await using sb = await sandbox();
    const pg = await gnupg(sb.dir);
    const chart = `${sb.dir}/c`;
    await Deno.mkdir(`${chart}/templates`, { recursive: true });
    await Deno.writeTextFile(
      `${chart}/Chart.yaml`,
      [
        "apiVersion: v2",
        "name: c",
        'description: "A very long description that goes on and on past eighty characters: ' +
        'does it fold as helm folds it, yes or no"',
        "version: 1.0.0",
        'appVersion: "1.0"',
        'keywords: [a, "yes", "1.5", "2024-01-01"]',
        "maintainers:",
        "  - name: Jo",
        "    email: jo@example.com",
        "annotations:",
        '  z: "true"',
        "  a: hello world",
        "",
      ].join("\n"),
    );
    await Deno.writeTextFile(`${chart}/templates/cm.yaml`, "kind: ConfigMap\n");
    const helm = await exec(helm3!, [
      "package",
      "--sign",
      "--key",
      "Test Signer",
      "--keyring",
      pg.secring,
      "-d",
      sb.dir,
      chart,
    ], { HOME: sb.dir });
    assert.equal(helm.code, 0, helm.stderr);
    const helmText = signedText(await Deno.readTextFile(`${sb.dir}/c-1.0.0.tgz.prov`));

    const ref = `${registry.host}/charts/c`;
    expectCode(
      await sb.run([
        "chart",
        "save",
        chart,
        ref,
        "--sign",
        "--key",
        "Test",
        "--keyring",
        pg.secring,
      ]),
      0,
    );
    expectCode(await sb.run(["chart", "push", `${ref}:1.0.0`]), 0);
    const h3Text = signedText(await provOf(ref, "1.0.0"));
    const upToSums = (text: string) => text.slice(0, text.indexOf("\n...\n"));
    assert.equal(upToSums(h3Text), upToSums(helmText));

    // helm verify on h3's package and .prov, written as Helm's files by pull --prov.
    const out = `${sb.dir}/out`;
    const pulled = expectCode(
      await sb.run(["chart", "pull", `oci://${ref}`, "--version", "1.0.0", "-d", out, "--prov"]),
      0,
    );
    assert.match(pulled.stdout, new RegExp(`^Saved: ${out}/c-1\\.0\\.0\\.tgz\\.prov$`, "m"));
    const verify = await exec(helm3!, [
      "verify",
      "--keyring",
      pg.pubring,
      `${out}/c-1.0.0.tgz`,
    ], { HOME: sb.dir });
    assert.equal(verify.code, 0, verify.stderr);
    assert.match(verify.stdout, /Signed by: Test Signer <test@example.com>/);
  },
});
