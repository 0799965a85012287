import assert from "node:assert/strict";
import { scryptAsync } from "@noble/hashes/scrypt.js";
import { xsalsa20poly1305 } from "@noble/ciphers/salsa.js";
import { connectRepository } from "../../core/transport/repository.ts";
import { expectCode, sandbox } from "../helpers/cli.ts";
import { pushArtifact, pushCosignTag } from "../helpers/referrers.ts";
import { startRegistry } from "../helpers/registry.ts";
import { peer, runPeer, testWithPeers } from "../helpers/peers.ts";
import { cosignStatement, runProgram } from "../helpers/sigstore.ts";
import { pushChartVersion } from "../helpers/remote_charts.ts";
import { cacheIsEmpty } from "../helpers/files.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A P-256 key pair made by openssl: SEC1 `ec.key`, PKCS#8 `pkcs8.key`, `cosign.pub`. */
async function opensslKeys(dir: string, name = "key") {
  const ec = `${dir}/${name}-ec.key`;
  const pkcs8 = `${dir}/${name}-pkcs8.key`;
  const pub = `${dir}/${name}.pub`;
  await runProgram("openssl", ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", ec]);
  await runProgram("openssl", ["pkcs8", "-topk8", "-nocrypt", "-in", ec, "-out", pkcs8]);
  await runProgram("openssl", ["pkey", "-in", ec, "-pubout", "-out", pub]);
  return { ec, pkcs8, pub };
}

/** cosign's simple-signing payload, written out by hand. */
function payload(reference: string, digest: string): Uint8Array {
  return encoder.encode(
    `{"critical":{"identity":{"docker-reference":"${reference}"},"image":{"docker-manifest-digest":"${digest}"},"type":"cosign container image signature"},"optional":null}`,
  );
}

/** openssl's ECDSA SHA-256 signature (DER, base64) of `bytes` with `key`. */
async function opensslSign(key: string, bytes: Uint8Array): Promise<string> {
  const der = await runProgram("openssl", ["dgst", "-sha256", "-sign", key], bytes);
  return btoa(String.fromCharCode(...der));
}

/** The payloads and signatures of the `.sig` manifest of `digest`. */
async function readSig(repoName: string, digest: string) {
  using repo = connectRepository(repoName);
  const { bytes } = await repo.fetchReference(`${digest.replace(":", "-")}.sig`);
  const manifest = JSON.parse(decoder.decode(bytes));
  const layers = [];
  for (const layer of manifest.layers) {
    const body = await new Response(await repo.fetch(layer)).bytes();
    layers.push({
      layer,
      payload: body,
      signature: layer.annotations["dev.cosignproject.cosign/signature"] as string,
    });
  }
  return { manifest, layers };
}

Deno.test("a signature made with openssl in cosign's form verifies; pull --verify stores the chart", async () => {
  await using registry = await startRegistry();
  await using sb = await sandbox();
  const keys = await opensslKeys(sb.dir);
  const name = `${registry.host}/charts/app`;
  using repo = connectRepository(name);
  const chart = await pushChartVersion(repo, { name: "app", version: "1.0.0" });
  const body = payload(name, chart.digest);
  await pushCosignTag(repo, chart, body, await opensslSign(keys.ec, body));

  const verified = expectCode(
    await sb.run(["chart", "verify", `${name}:1.0.0`, "--key", keys.pub]),
    0,
  );
  assert.equal(
    verified.stdout,
    `Verified ${name}:1.0.0 (${name}@${chart.digest}): signed with ${keys.pub} as ${name}\n`,
  );
  const pulled = expectCode(
    await sb.run(["chart", "pull", `${name}:1.0.0`, "--verify", "--key", keys.pub]),
    0,
  );
  assert.match(pulled.stdout, /^Status: Downloaded newer chart for /m);
  assert.equal(await cacheIsEmpty(sb), false);

  const helmForm = expectCode(
    await sb.run([
      "chart",
      "pull",
      `oci://${name}`,
      "--version",
      "1.0.0",
      "--verify",
      "--key",
      keys.pub,
    ]),
    0,
  );
  assert.match(helmForm.stdout, /^Saved: app-1\.0\.0\.tgz$/m);

  const other = await opensslKeys(sb.dir, "other");
  const refused = expectCode(
    await sb.run([
      "chart",
      "pull",
      `oci://${name}`,
      "--version",
      "1.0.0",
      "-d",
      "out",
      "--verify",
      "--key",
      other.pub,
    ]),
    1,
  );
  assert.match(refused.stderr, /^Error: .*: no valid signature \(1 signature checked: not signed/);
  assert.equal(await Deno.stat(`${sb.dir}/out`).then(() => true, () => false), false);
});

Deno.test("h3 chart sign: openssl verifies h3's signature over cosign's payload; signing again writes nothing", async () => {
  await using registry = await startRegistry();
  await using sb = await sandbox();
  const keys = await opensslKeys(sb.dir);
  const name = `${registry.host}/charts/app`;
  let chart;
  {
    using repo = connectRepository(name);
    chart = await pushChartVersion(repo, { name: "app", version: "1.0.0" });
  }
  const signed = expectCode(
    await sb.run(["chart", "sign", `${name}:1.0.0`, "--key", keys.pkcs8]),
    0,
  );
  const tag = `${chart.digest.replace(":", "-")}.sig`;
  assert.equal(signed.stdout, `Signed ${name}:1.0.0 (${name}@${chart.digest}): ${tag}\n`);

  const { manifest, layers } = await readSig(name, chart.digest);
  assert.equal(manifest.mediaType, "application/vnd.oci.image.manifest.v1+json");
  assert.equal(layers.length, 1);
  assert.equal(layers[0].layer.mediaType, "application/vnd.dev.cosign.simplesigning.v1+json");
  assert.deepEqual(JSON.parse(decoder.decode(layers[0].payload)), {
    critical: {
      identity: { "docker-reference": name },
      image: { "docker-manifest-digest": chart.digest },
      type: "cosign container image signature",
    },
    optional: null,
  });
  const sigFile = `${sb.dir}/sig.der`;
  const payloadFile = `${sb.dir}/payload.json`;
  await Deno.writeFile(sigFile, Uint8Array.from(atob(layers[0].signature), (c) => c.charCodeAt(0)));
  await Deno.writeFile(payloadFile, layers[0].payload);
  const ok = await runProgram("openssl", [
    "dgst",
    "-sha256",
    "-verify",
    keys.pub,
    "-signature",
    sigFile,
    payloadFile,
  ]);
  assert.equal(decoder.decode(ok).trim(), "Verified OK");

  const again = expectCode(await sb.run(["chart", "sign", `${name}:1.0.0`, "--key", keys.ec]), 0);
  assert.equal(
    again.stdout,
    `Already signed with this key: ${name}:1.0.0 (${name}@${chart.digest})\n`,
  );
  assert.equal((await readSig(name, chart.digest)).layers.length, 1);

  const other = await opensslKeys(sb.dir, "other");
  expectCode(await sb.run(["chart", "sign", `${name}:1.0.0`, "--key", other.pkcs8]), 0);
  assert.equal((await readSig(name, chart.digest)).layers.length, 2, "a second key appends");
  expectCode(await sb.run(["chart", "verify", `${name}:1.0.0`, "--key", other.pub]), 0);
  expectCode(await sb.run(["chart", "verify", `${name}:1.0.0`, "--key", keys.pub]), 0);
});

/** cosign's encrypted key file for a PKCS#8 DER key, under `password`. */
async function encryptedKey(pkcs8Pem: string, password: string): Promise<string> {
  const der = Uint8Array.from(
    atob(pkcs8Pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s/g, "")),
    (c) => c.charCodeAt(0),
  );
  const salt = crypto.getRandomValues(new Uint8Array(32));
  const nonce = crypto.getRandomValues(new Uint8Array(24));
  const params = { N: 32768, r: 8, p: 1 };
  const key = await scryptAsync(encoder.encode(password), salt, { ...params, dkLen: 32 });
  const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
  const envelope = JSON.stringify({
    kdf: { name: "scrypt", params, salt: b64(salt) },
    cipher: { name: "nacl/secretbox", nonce: b64(nonce) },
    ciphertext: b64(xsalsa20poly1305(key, nonce).encrypt(der)),
  });
  const body = b64(encoder.encode(envelope)).match(/.{1,64}/g)!.join("\n");
  return `-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n${body}\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n`;
}

Deno.test("encrypted cosign keys: COSIGN_PASSWORD opens them; a wrong or missing password is one line", async () => {
  await using registry = await startRegistry();
  await using sb = await sandbox();
  const keys = await opensslKeys(sb.dir);
  const keyFile = `${sb.dir}/cosign.key`;
  await Deno.writeTextFile(
    keyFile,
    await encryptedKey(await Deno.readTextFile(keys.pkcs8), "s3cret"),
  );
  const name = `${registry.host}/charts/app`;
  {
    using repo = connectRepository(name);
    await pushChartVersion(repo, { name: "app", version: "1.0.0" });
  }
  const sign = (env: Record<string, string>) =>
    sb.run(["chart", "sign", `${name}:1.0.0`, "--key", keyFile], { env });

  const wrong = expectCode(await sign({ COSIGN_PASSWORD: "nope" }), 1);
  assert.equal(wrong.stderr, "Error: encrypted key: wrong password (or the key file is damaged)\n");
  const missing = expectCode(await sign({}), 1);
  assert.equal(
    missing.stderr,
    `Error: ${keyFile} is encrypted: set COSIGN_PASSWORD (no terminal to ask for the password)\n`,
  );
  expectCode(await sign({ COSIGN_PASSWORD: "s3cret" }), 0);
  expectCode(await sb.run(["chart", "verify", `${name}:1.0.0`, "--key", keys.pub]), 0);
});

Deno.test("tampering: edited payload, swapped digest, another chart's signature, wrong key, none: refused, nothing cached", async () => {
  await using registry = await startRegistry();
  await using sb = await sandbox();
  const keys = await opensslKeys(sb.dir);
  const other = await opensslKeys(sb.dir, "other");
  const name = `${registry.host}/charts/app`;
  using repo = connectRepository(name);
  const chart = await pushChartVersion(repo, { name: "app", version: "1.0.0" });
  const second = await pushChartVersion(repo, { name: "app", version: "2.0.0" });
  const ref = `${name}:1.0.0`;

  const refused = async (expected: string) => {
    for (const args of [["verify", ref], ["pull", ref, "--verify"]]) {
      const out = expectCode(await sb.run(["chart", ...args, "--key", keys.pub]), 1);
      assert.equal(out.stderr, `Error: ${ref}: ${expected}\n`);
    }
    assert.ok(await cacheIsEmpty(sb), "nothing enters the cache");
  };

  await refused(
    `no cosign signature (no ${chart.digest.replace(":", "-")}.sig tag, no Sigstore bundle)`,
  );

  // The payload edited after signing (the name changed, the signature kept).
  const signedBody = payload(name, chart.digest);
  const signature = await opensslSign(keys.ec, signedBody);
  const edited = payload(`${registry.host}/charts/evil`, chart.digest);
  await pushCosignTag(repo, chart, edited, signature);
  await refused(
    "no valid signature (1 signature checked: not signed by this key, or altered since)",
  );

  // A valid signature by the key, but over another chart's digest.
  const swapped = payload(name, second.digest);
  await pushCosignTag(repo, chart, swapped, await opensslSign(keys.ec, swapped));
  await refused(
    `no valid signature (1 signature checked: signed for another manifest (${second.digest}))`,
  );

  // Another chart's whole signature manifest put under this chart's tag.
  expectCode(await sb.run(["chart", "sign", `${name}:2.0.0`, "--key", keys.pkcs8]), 0);
  const { bytes } = await repo.fetchReference(`${second.digest.replace(":", "-")}.sig`);
  const desc = {
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    digest: (await repo.fetchReference(`${second.digest.replace(":", "-")}.sig`)).desc.digest,
    size: bytes.byteLength,
  };
  await repo.pushReference(
    desc,
    ReadableStream.from([bytes]),
    `${chart.digest.replace(":", "-")}.sig`,
  );
  await refused(
    `no valid signature (1 signature checked: signed for another manifest (${second.digest}))`,
  );

  // Signed by another key.
  await pushCosignTag(repo, chart, signedBody, await opensslSign(other.ec, signedBody));
  await refused(
    "no valid signature (1 signature checked: not signed by this key, or altered since)",
  );

  // And the real one is accepted.
  await pushCosignTag(repo, chart, signedBody, signature);
  expectCode(await sb.run(["chart", "pull", ref, "--verify", "--key", keys.pub]), 0);
});

Deno.test("a copied chart: its signature names the source; --accept-reference admits that name", async () => {
  await using source = await startRegistry();
  await using mirror = await startRegistry();
  await using sb = await sandbox();
  const keys = await opensslKeys(sb.dir);
  const name = `${source.host}/charts/app`;
  {
    using repo = connectRepository(name);
    await pushChartVersion(repo, { name: "app", version: "1.0.0" });
  }
  expectCode(await sb.run(["chart", "sign", `${name}:1.0.0`, "--key", keys.pkcs8]), 0);
  const copy = `${mirror.host}/mirror/app`;
  expectCode(await sb.run(["chart", "copy", `${name}:1.0.0`, copy, "--referrers"]), 0);

  const strict = expectCode(
    await sb.run(["chart", "verify", `${copy}:1.0.0`, "--key", keys.pub]),
    1,
  );
  assert.equal(
    strict.stderr,
    `Error: ${copy}:1.0.0: no valid signature (1 signature checked: signed as ${name}, not ${copy}` +
      " (accept that name to verify a copy))\n",
  );
  const accepted = expectCode(
    await sb.run([
      "chart",
      "pull",
      `${copy}:1.0.0`,
      "--verify",
      "--key",
      keys.pub,
      "--accept-reference",
      name,
    ]),
    0,
  );
  assert.match(accepted.stdout, /^Status: Downloaded newer chart for /m);
});

Deno.test("usage: --verify without --key, --key without --verify, a key that is not one", async () => {
  await using sb = await sandbox();
  const noKey = expectCode(await sb.run(["chart", "pull", "localhost:5000/a/b:1", "--verify"]), 2);
  assert.equal(
    noKey.stderr,
    "Error: --verify needs --key FILE (a cosign public key), --keyring FILE (a PGP keyring) or " +
      "--certificate-identity with --certificate-oidc-issuer and --trusted-root\n",
  );
  await Deno.writeTextFile(`${sb.dir}/bad.pub`, "not a key\n");
  const bad = expectCode(
    await sb.run(["chart", "verify", "localhost:5000/a/b:1", "--key", `${sb.dir}/bad.pub`]),
    1,
  );
  assert.equal(bad.stderr, `Error: ${sb.dir}/bad.pub: no "PUBLIC KEY" PEM block found\n`);
});

/** A Sigstore bundle (cosign 3's form) for `digest`, its DSSE signature made by openssl. */
async function opensslBundle(key: string, digest: string): Promise<Uint8Array> {
  const { statement, pae } = cosignStatement(digest);
  return encoder.encode(JSON.stringify({
    mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
    verificationMaterial: { publicKey: { hint: "" } },
    dsseEnvelope: {
      payload: btoa(String.fromCharCode(...statement)),
      payloadType: "application/vnd.in-toto+json",
      signatures: [{ sig: await opensslSign(key, pae) }],
    },
  }));
}

Deno.test("Sigstore bundles: openssl's DSSE bundle verifies; one for another chart does not; sign --bundle round-trips", async () => {
  await using registry = await startRegistry();
  await using sb = await sandbox();
  const keys = await opensslKeys(sb.dir);
  const name = `${registry.host}/charts/app`;
  using repo = connectRepository(name);
  const chart = await pushChartVersion(repo, { name: "app", version: "1.0.0" });
  const other = await pushChartVersion(repo, { name: "app", version: "2.0.0" });
  await pushChartVersion(repo, { name: "app", version: "3.0.0" });
  const bundleType = "application/vnd.dev.sigstore.bundle.v0.3+json";
  const bundle = decoder.decode(await opensslBundle(keys.ec, chart.digest));
  const listed = await pushArtifact(repo, chart, bundleType, bundle, { tagSchema: true });
  const ok = expectCode(await sb.run(["chart", "verify", `${name}:1.0.0`, "--key", keys.pub]), 0);
  assert.equal(
    ok.stdout,
    `Verified ${name}:1.0.0 (${name}@${chart.digest}): signed with ${keys.pub} ` +
      `(Sigstore bundle ${listed.digest})\n`,
  );
  expectCode(await sb.run(["chart", "pull", `${name}:1.0.0`, "--verify", "--key", keys.pub]), 0);

  // The bundle of chart 1.0.0 attached to chart 2.0.0: signed, but for another manifest.
  await pushArtifact(repo, other, bundleType, bundle, { tagSchema: true });
  const wrong = expectCode(
    await sb.run(["chart", "pull", `${name}:2.0.0`, "--verify", "--key", keys.pub]),
    1,
  );
  assert.equal(
    wrong.stderr,
    `Error: ${name}:2.0.0: no valid signature (1 bundle: a bundle signed for another manifest)\n`,
  );

  const signed = expectCode(
    await sb.run(["chart", "sign", `${name}:3.0.0`, "--key", keys.pkcs8, "--bundle"]),
    0,
  );
  assert.match(signed.stdout, /: Sigstore bundle sha256:[0-9a-f]{64}\n$/);
  const refs = JSON.parse(
    expectCode(await sb.run(["chart", "referrers", `${name}:3.0.0`, "-o", "json"]), 0).stdout,
  );
  assert.deepEqual(refs.referrers.map((r: { artifactType: string }) => r.artifactType), [
    bundleType,
  ]);
  expectCode(await sb.run(["chart", "verify", `${name}:3.0.0`, "--key", keys.pub]), 0);
  const { pub: otherPub } = await opensslKeys(sb.dir, "other");
  const byOther = expectCode(
    await sb.run(["chart", "verify", `${name}:3.0.0`, "--key", otherPub]),
    1,
  );
  assert.match(byOther.stderr, /1 bundle: a bundle not signed by this key, or altered since\)\n$/);

  // The library signs in either form as the CLI does (a bundle with `bundle: true`).
  const { sign, verifySignature } = await import("../../mod.ts");
  await pushChartVersion(repo, { name: "app", version: "4.0.0" });
  const viaLibrary = await sign(`${name}:4.0.0`, { key: keys.pkcs8, bundle: true });
  assert.equal(viaLibrary.form, "bundle");
  const libRefs = JSON.parse(
    expectCode(await sb.run(["chart", "referrers", `${name}:4.0.0`, "-o", "json"]), 0).stdout,
  );
  assert.deepEqual(
    libRefs.referrers.map((r: { artifactType: string; digest: string }) => [
      r.artifactType,
      r.digest,
    ]),
    [[bundleType, viaLibrary.form === "bundle" && viaLibrary.referrer.digest]],
  );
  const checked = await verifySignature(`${name}:4.0.0`, { keys: [keys.pub] });
  assert.equal(checked.kind, "bundle");
  const classic = await sign(`${name}:4.0.0`, { key: keys.pkcs8 });
  assert.deepEqual([classic.form, classic.written], ["sig", true]);
});

/** cosign, when scripts/peers.sh has built it. */
const cosign = peer("cosign")?.path;

Deno.test({
  name:
    "cosign (peer): h3 verifies cosign's signatures (bundle and classic) and cosign verifies h3's",
  ignore: !cosign,
  fn: async () => {
    await using registry = await startRegistry();
    await using sb = await sandbox();
    const env = { COSIGN_PASSWORD: "pw", HOME: sb.dir, DOCKER_CONFIG: `${sb.dir}/docker` };
    const cosignRun = async (...args: string[]) => {
      const out = await new Deno.Command(cosign!, {
        args,
        cwd: sb.dir,
        env,
        stdout: "piped",
        stderr: "piped",
      })
        .output();
      return {
        code: out.code,
        stdout: decoder.decode(out.stdout),
        stderr: decoder.decode(out.stderr),
      };
    };
    const generated = await cosignRun("generate-key-pair");
    assert.equal(generated.code, 0, generated.stderr);
    const [key, pub] = [`${sb.dir}/cosign.key`, `${sb.dir}/cosign.pub`];
    assert.match(await Deno.readTextFile(key), /^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----/);
    const name = `${registry.host}/charts/app`;
    const digests: string[] = [];
    {
      using repo = connectRepository(name);
      for (const version of ["1.0.0", "2.0.0", "3.0.0", "4.0.0"]) {
        digests.push((await pushChartVersion(repo, { name: "app", version })).digest);
      }
    }
    const offline = ["--tlog-upload=false", "--use-signing-config=false", "--allow-http-registry"];
    // cosign 3's default: a Sigstore bundle referrer.
    const bundled = await cosignRun(
      "sign",
      "--key",
      key,
      ...offline,
      "--yes",
      `${name}@${digests[0]}`,
    );
    assert.equal(bundled.code, 0, bundled.stderr);
    const v1 = expectCode(await sb.run(["chart", "verify", `${name}:1.0.0`, "--key", pub]), 0);
    assert.match(v1.stdout, /signed with .*cosign\.pub \(Sigstore bundle sha256:/);
    expectCode(await sb.run(["chart", "pull", `${name}:1.0.0`, "--verify", "--key", pub]), 0);
    // The classic .sig form.
    const classic = await cosignRun(
      "sign",
      "--key",
      key,
      ...offline,
      "--new-bundle-format=false",
      "--yes",
      `${name}@${digests[1]}`,
    );
    assert.equal(classic.code, 0, classic.stderr);
    const v2 = expectCode(await sb.run(["chart", "verify", `${name}:2.0.0`, "--key", pub]), 0);
    assert.match(v2.stdout, new RegExp(`signed with .*cosign\\.pub as ${name}\n$`));

    // h3 signs with cosign's encrypted key; cosign verifies both forms.
    const h3env = { env: { COSIGN_PASSWORD: "pw" } };
    expectCode(await sb.run(["chart", "sign", `${name}:3.0.0`, "--key", key], h3env), 0);
    expectCode(
      await sb.run(["chart", "sign", `${name}:4.0.0`, "--key", key, "--bundle"], h3env),
      0,
    );
    const verifyOffline = ["--insecure-ignore-tlog=true", "--allow-http-registry"];
    const c3 = await cosignRun(
      "verify",
      "--key",
      pub,
      ...verifyOffline,
      "--new-bundle-format=false",
      `${name}:3.0.0`,
    );
    assert.equal(c3.code, 0, c3.stderr);
    assert.match(c3.stdout, /"docker-manifest-digest":"sha256:/);
    const c4 = await cosignRun("verify", "--key", pub, ...verifyOffline, `${name}:4.0.0`);
    assert.equal(c4.code, 0, c4.stderr);
  },
});

/** Key types besides P-256, as openssl makes them, with how openssl signs as cosign does. */
const otherKeys = [
  {
    kind: "P-384",
    gen: ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
    hash: "sha384",
  },
  {
    kind: "P-521",
    gen: ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"],
    hash: "sha512",
  },
  { kind: "Ed25519", gen: ["-algorithm", "ED25519"], hash: undefined },
  { kind: "RSA", gen: ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"], hash: "sha256" },
] as const;

/** A key of `gen` made by openssl in `dir`: PKCS#8 private key and PKIX public key files. */
async function opensslKeyPair(dir: string, name: string, gen: readonly string[]) {
  const key = `${dir}/${name}.key`;
  const pub = `${dir}/${name}.pub`;
  await runProgram("openssl", ["genpkey", ...gen, "-out", key]);
  await runProgram("openssl", ["pkey", "-in", key, "-pubout", "-out", pub]);
  return { key, pub };
}

Deno.test("keys besides P-256 (P-384, P-521, Ed25519, RSA): openssl's signatures verify in h3 and h3's verify in openssl", async () => {
  await using registry = await startRegistry();
  await using sb = await sandbox();
  const name = `${registry.host}/charts/app`;
  using repo = connectRepository(name);
  let minor = 0;
  for (const { kind, gen, hash } of otherKeys) {
    const { key, pub } = await opensslKeyPair(sb.dir, kind, gen);
    const [v1, v2] = [`1.${minor++}.0`, `1.${minor++}.0`];
    const byOpenssl = await pushChartVersion(repo, { name: "app", version: v1 });
    const byH3 = await pushChartVersion(repo, { name: "app", version: v2 });
    // openssl signs cosign's payload as cosign does: the curve's hash, pure Ed25519, RSA PKCS #1.
    const body = payload(name, byOpenssl.digest);
    await Deno.writeFile(`${sb.dir}/payload`, body);
    const signed = await runProgram(
      "openssl",
      hash
        ? ["dgst", `-${hash}`, "-sign", key, `${sb.dir}/payload`]
        : ["pkeyutl", "-sign", "-inkey", key, "-rawin", "-in", `${sb.dir}/payload`],
    );
    await pushCosignTag(repo, byOpenssl, body, btoa(String.fromCharCode(...signed)));
    const tag = `${name}:${v1}`;
    const ok = expectCode(await sb.run(["chart", "verify", tag, "--key", pub]), 0);
    assert.match(ok.stdout, new RegExp(`signed with .*${kind}\\.pub as ${name}\n$`), kind);

    // h3 signs; openssl checks the signature over the payload h3 stored.
    expectCode(await sb.run(["chart", "sign", `${name}:${v2}`, "--key", key]), 0);
    const { layers } = await readSig(name, byH3.digest);
    await Deno.writeFile(`${sb.dir}/payload`, layers[0].payload);
    await Deno.writeFile(
      `${sb.dir}/sig`,
      Uint8Array.from(atob(layers[0].signature), (c) => c.charCodeAt(0)),
    );
    const checked = await runProgram(
      "openssl",
      hash
        ? ["dgst", `-${hash}`, "-verify", pub, "-signature", `${sb.dir}/sig`, `${sb.dir}/payload`]
        : [
          "pkeyutl",
          "-verify",
          "-pubin",
          "-inkey",
          pub,
          "-rawin",
          "-in",
          `${sb.dir}/payload`,
          "-sigfile",
          `${sb.dir}/sig`,
        ],
    );
    assert.match(decoder.decode(checked), /Verified OK|Signature Verified Successfully/, kind);
    expectCode(await sb.run(["chart", "verify", `${name}:${v2}`, "--key", pub]), 0);
    // Another key of the same kind does not vouch.
    const other = await opensslKeyPair(sb.dir, `${kind}-other`, gen);
    const wrong = expectCode(await sb.run(["chart", "verify", tag, "--key", other.pub]), 1);
    assert.match(wrong.stderr, /not signed by this key, or altered since/, kind);
  }
  // An RSA key in PKCS #1 form ("RSA PRIVATE KEY"), as openssl's traditional output writes it.
  const rsa = `${sb.dir}/RSA.key`;
  await runProgram("openssl", ["pkey", "-in", rsa, "-traditional", "-out", `${sb.dir}/pkcs1.key`]);
  assert.match(await Deno.readTextFile(`${sb.dir}/pkcs1.key`), /BEGIN RSA PRIVATE KEY/);
  const last = await pushChartVersion(repo, { name: "app", version: "2.0.0" });
  expectCode(await sb.run(["chart", "sign", `${name}:2.0.0`, "--key", `${sb.dir}/pkcs1.key`]), 0);
  const v = expectCode(
    await sb.run(["chart", "verify", `${name}:2.0.0`, "--key", `${sb.dir}/RSA.pub`]),
    0,
  );
  assert.match(v.stdout, new RegExp(last.digest));
});

testWithPeers(
  "cosign (peer): P-384, P-521, Ed25519 and RSA keys: cosign verifies h3's signatures and h3 verifies cosign's, both forms",
  ["cosign"],
  async () => {
    await using registry = await startRegistry();
    await using sb = await sandbox();
    const env = { COSIGN_PASSWORD: "pw", HOME: sb.dir, DOCKER_CONFIG: `${sb.dir}/docker` };
    const cosignRun = async (cwd: string, ...args: string[]) =>
      expectCode(await runPeer("cosign", args, { cwd, env }), 0);
    const name = `${registry.host}/charts/app`;
    using repo = connectRepository(name);
    const offline = ["--tlog-upload=false", "--use-signing-config=false", "--allow-http-registry"];
    const verifyOffline = ["--insecure-ignore-tlog=true", "--allow-http-registry"];
    let minor = 0;
    for (const { kind, gen, hash } of otherKeys) {
      const dir = `${sb.dir}/${kind}`;
      await Deno.mkdir(dir);
      const { key: pem } = await opensslKeyPair(dir, "openssl", gen);
      // cosign's encrypted form of the same key.
      await cosignRun(dir, "import-key-pair", "-k", pem, "-o", "import");
      const [key, pub] = [`${dir}/import.key`, `${dir}/import.pub`];
      const versions = [0, 1, 2, 3].map(() => `1.${minor++}.0`);
      const charts: { digest: string }[] = [];
      for (const version of versions) {
        charts.push(await pushChartVersion(repo, { name: "app", version }));
      }
      const at = (i: number) => `${name}@${charts[i].digest}`;
      const tagged = (i: number) => `${name}:${versions[i]}`;
      // cosign signs (classic and bundle); h3 verifies.
      await cosignRun(
        dir,
        "sign",
        "--key",
        key,
        ...offline,
        "--new-bundle-format=false",
        "--yes",
        at(0),
      );
      await cosignRun(dir, "sign", "--key", key, ...offline, "--yes", at(1));
      const classic = expectCode(await sb.run(["chart", "verify", tagged(0), "--key", pub]), 0);
      assert.match(classic.stdout, new RegExp(`as ${name}\n$`), kind);
      const bundled = expectCode(await sb.run(["chart", "verify", tagged(1), "--key", pub]), 0);
      assert.match(bundled.stdout, /\(Sigstore bundle sha256:/, kind);
      // h3 signs (cosign's encrypted key, then openssl's plain PEM); cosign verifies. cosign
      // verify hashes with SHA-256 unless told the curve's hash, as for its own signatures.
      const digestAlgorithm = ["--signature-digest-algorithm", hash ?? "sha256"];
      const h3env = { env: { COSIGN_PASSWORD: "pw" } };
      expectCode(await sb.run(["chart", "sign", tagged(2), "--key", key], h3env), 0);
      expectCode(await sb.run(["chart", "sign", tagged(3), "--key", pem, "--bundle"]), 0);
      await cosignRun(
        dir,
        "verify",
        "--key",
        pub,
        ...verifyOffline,
        ...digestAlgorithm,
        "--new-bundle-format=false",
        tagged(2),
      );
      await cosignRun(dir, "verify", "--key", pub, ...verifyOffline, ...digestAlgorithm, tagged(3));
    }
  },
);
