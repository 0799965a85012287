/**
 * A private Sigstore for tests, made with openssl (not with h3 or the Sigstore libraries): a
 * Fulcio-like CA issuing a short-lived certificate with an e-mail identity and an OIDC issuer
 * extension, a Rekor-like log key signing the entry's timestamp (SET) and a checkpoint of an
 * RFC 6962 Merkle tree holding the entry (the inclusion proof), the trusted-root file naming both,
 * and keyless bundles (v0.1, v0.2 or v0.3; DSSE in-toto statement) for a manifest digest.
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The in-toto statement cosign 3 signs for a manifest `digest`, and its DSSE pre-authentication
 * encoding (the bytes a DSSE signature is over).
 */
export function cosignStatement(digest: string): { statement: Uint8Array; pae: Uint8Array } {
  const statement = encoder.encode(JSON.stringify({
    _type: "https://in-toto.io/Statement/v1",
    subject: [{ digest: { sha256: digest.slice(7) }, annotations: {} }],
    predicateType: "https://sigstore.dev/cosign/sign/v1",
    predicate: {},
  }));
  const type = "application/vnd.in-toto+json";
  const pae = new Uint8Array([
    ...encoder.encode(`DSSEv1 ${type.length} ${type} ${statement.byteLength} `),
    ...statement,
  ]);
  return { statement, pae };
}

/** Runs a program to completion with bytes in and out; throws with its stderr when it fails. */
export async function runProgram(
  program: string,
  args: string[],
  stdin?: Uint8Array,
): Promise<Uint8Array> {
  const child = new Deno.Command(program, {
    args,
    stdin: stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin) {
    const writer = child.stdin.getWriter();
    await writer.write(stdin);
    await writer.close();
  }
  const out = await child.output();
  if (!out.success) {
    throw new Error(`${program} ${args.join(" ")}: ${decoder.decode(out.stderr)}`);
  }
  return out.stdout;
}

const openssl = (args: string[], stdin?: Uint8Array) => runProgram("openssl", args, stdin);

/**
 * A cosign key pair made by openssl in `dir`, `NAME.key` and `NAME.pub` (`cosign` unless named): an
 * ECDSA P-256 PKCS#8 private key (the plain form `cosign import-key-pair` takes) and its PKIX public
 * key, as PEM files.
 */
export async function ecKeyPair(
  dir: string,
  name = "cosign",
): Promise<{ private: string; public: string }> {
  const ec = `${dir}/${name}-ec.key`;
  const keys = { private: `${dir}/${name}.key`, public: `${dir}/${name}.pub` };
  await openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", ec]);
  await openssl(["pkcs8", "-topk8", "-nocrypt", "-in", ec, "-out", keys.private]);
  await openssl(["pkey", "-in", ec, "-pubout", "-out", keys.public]);
  return keys;
}

const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const sha256 = async (bytes: Uint8Array) =>
  new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
const pemBody = (pem: string) => pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s/g, "");

/** A private Sigstore in `dir`. */
export interface TestSigstore {
  /** The trusted-root file. */
  trustedRoot: string;
  /** A keyless bundle for `digest` signed by `identity` from `issuer` (JSON text). */
  bundle(digest: string, options?: BundleOptions): Promise<string>;
  /**
   * A keyless signature in cosign's classic `.sig` form for `reference` at `digest`: the
   * simple-signing payload, its signature (base64) and the layer annotations cosign writes (the
   * certificate, the chain, and the Rekor bundle: a hashedrekord entry with its SET). `tamper`
   * `payload` alters the payload after signing.
   */
  classic(
    reference: string,
    digest: string,
    options?: BundleOptions,
  ): Promise<{ payload: Uint8Array; signature: string; annotations: Record<string, string> }>;
}

/** How a test bundle is made, and what is broken in it. */
export interface BundleOptions {
  /** The certificate's e-mail identity (default `ci@example.com`). */
  identity?: string;
  /** The certificate's OIDC issuer (default `https://token.example.com`). */
  issuer?: string;
  /** The log's integrated time (default: now, inside the certificate's validity). */
  integratedTime?: number;
  /** The bundle format (default 0.1: SET only; 0.2 and 0.3 carry an inclusion proof too). */
  version?: "0.1" | "0.2" | "0.3";
  /**
   * With `tsa` (0.3 only): the signing time comes from an RFC 3161 signed timestamp of the test's
   * timestamp authority over the signature, and the log entry has an inclusion proof but no SET
   * (as Rekor v2 entries are).
   */
  timestamp?: "set" | "tsa";
  /**
   * What to break: a hash of the inclusion proof (`proof`), the checkpoint's signature (signed by
   * another key: `checkpoint`), the signed statement after signing (`payload`), or the signed
   * timestamp (over other bytes than the signature: `tsa`).
   */
  tamper?: "proof" | "checkpoint" | "payload" | "tsa";
}

const leafHash = (leaf: Uint8Array) => sha256(new Uint8Array([0, ...leaf]));
const nodeHash = (left: Uint8Array, right: Uint8Array) =>
  sha256(new Uint8Array([1, ...left, ...right]));
/** The largest power of two below `n` (n > 1), RFC 6962's split. */
const split = (n: number) => 2 ** Math.floor(Math.log2(n - 1));

/** RFC 6962's Merkle tree hash of `leaves`. */
async function treeHash(leaves: Uint8Array[]): Promise<Uint8Array> {
  if (leaves.length === 1) return await leafHash(leaves[0]);
  const k = split(leaves.length);
  return await nodeHash(await treeHash(leaves.slice(0, k)), await treeHash(leaves.slice(k)));
}

/** RFC 6962's audit path of leaf `m` in `leaves`, lowest level first. */
async function auditPath(m: number, leaves: Uint8Array[]): Promise<Uint8Array[]> {
  if (leaves.length === 1) return [];
  const k = split(leaves.length);
  return m < k
    ? [...await auditPath(m, leaves.slice(0, k)), await treeHash(leaves.slice(k))]
    : [...await auditPath(m - k, leaves.slice(k)), await treeHash(leaves.slice(0, k))];
}

/** Makes the CA, the log key and the trusted root in `dir`. */
export async function testSigstore(dir: string): Promise<TestSigstore> {
  const ec = (out: string) =>
    openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", out]);
  await ec(`${dir}/ca.key`);
  await openssl([
    "req",
    "-x509",
    "-new",
    "-key",
    `${dir}/ca.key`,
    "-out",
    `${dir}/ca.pem`,
    "-days",
    "2",
    "-subj",
    "/O=h3-test/CN=h3-test-fulcio",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  await ec(`${dir}/rekor.key`);
  await ec(`${dir}/other-rekor.key`);
  // A timestamp authority: its root, and the leaf that signs RFC 3161 timestamps.
  await ec(`${dir}/tsa-root.key`);
  await openssl([
    "req",
    "-x509",
    "-new",
    "-key",
    `${dir}/tsa-root.key`,
    "-out",
    `${dir}/tsa-root.pem`,
    "-days",
    "2",
    "-subj",
    "/O=h3-test/CN=h3-test-tsa-root",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  await ec(`${dir}/tsa.key`);
  await openssl(["req", "-new", "-key", `${dir}/tsa.key`, "-subj", "/O=h3-test/CN=h3-test-tsa"])
    .then((csr) => Deno.writeFile(`${dir}/tsa.csr`, csr));
  await Deno.writeTextFile(
    `${dir}/tsa.ext`,
    "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n" +
      "extendedKeyUsage=critical,timeStamping\n",
  );
  await openssl([
    "x509",
    "-req",
    "-in",
    `${dir}/tsa.csr`,
    "-CA",
    `${dir}/tsa-root.pem`,
    "-CAkey",
    `${dir}/tsa-root.key`,
    "-set_serial",
    "77",
    "-days",
    "1",
    "-extfile",
    `${dir}/tsa.ext`,
    "-out",
    `${dir}/tsa.pem`,
  ]);
  await Deno.writeTextFile(`${dir}/tsaserial`, "01\n");
  await Deno.writeTextFile(
    `${dir}/tsa.cnf`,
    [
      "[ tsa ]",
      "default_tsa = tsa1",
      "[ tsa1 ]",
      `serial = ${dir}/tsaserial`,
      `signer_cert = ${dir}/tsa.pem`,
      `signer_key = ${dir}/tsa.key`,
      "signer_digest = sha256",
      "default_policy = 1.3.6.1.4.1.57264.99.1",
      "digests = sha256",
      "accuracy = secs:1",
      "ess_cert_id_alg = sha256",
      "",
    ].join("\n"),
  );
  const derOf = async (pem: string) =>
    Uint8Array.from(atob(pemBody(await Deno.readTextFile(pem))), (c) => c.charCodeAt(0));
  const rekorDer = await openssl(["pkey", "-in", `${dir}/rekor.key`, "-pubout", "-outform", "DER"]);
  const logId = await sha256(rekorDer);
  const caDer = Uint8Array.from(
    atob(pemBody(await Deno.readTextFile(`${dir}/ca.pem`))),
    (c) => c.charCodeAt(0),
  );
  const start = "2020-01-01T00:00:00Z";
  const trustedRoot = `${dir}/trusted_root.json`;
  await Deno.writeTextFile(
    trustedRoot,
    JSON.stringify({
      mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
      tlogs: [{
        baseUrl: "https://rekor.h3.test",
        hashAlgorithm: "SHA2_256",
        publicKey: {
          rawBytes: b64(rekorDer),
          keyDetails: "PKIX_ECDSA_P256_SHA_256",
          validFor: { start },
        },
        logId: { keyId: b64(logId) },
      }],
      certificateAuthorities: [{
        subject: { organization: "h3-test", commonName: "h3-test-fulcio" },
        uri: "https://fulcio.h3.test",
        certChain: { certificates: [{ rawBytes: b64(caDer) }] },
        validFor: { start },
      }],
      ctlogs: [],
      timestampAuthorities: [{
        subject: { organization: "h3-test", commonName: "h3-test-tsa" },
        uri: "https://tsa.h3.test",
        certChain: {
          certificates: [
            { rawBytes: b64(await derOf(`${dir}/tsa.pem`)) },
            { rawBytes: b64(await derOf(`${dir}/tsa-root.pem`)) },
          ],
        },
        validFor: { start },
      }],
    }),
  );
  let serial = 0;
  /** A Fulcio-like certificate for `identity` from `issuer`, and its key. */
  const issue = async (options: BundleOptions) => {
    const identity = options.identity ?? "ci@example.com";
    const issuer = options.issuer ?? "https://token.example.com";
    const n = ++serial;
    const leafKey = `${dir}/leaf${n}.key`;
    await ec(leafKey);
    await openssl([
      "req",
      "-new",
      "-key",
      leafKey,
      "-subj",
      "/O=sigstore.dev",
      "-out",
      `${dir}/leaf${n}.csr`,
    ]);
    await Deno.writeTextFile(
      `${dir}/leaf${n}.ext`,
      [
        `subjectAltName=critical,email:${identity}`,
        "keyUsage=critical,digitalSignature",
        "extendedKeyUsage=codeSigning",
        // Fulcio's issuer extensions: v1 (raw bytes, what cosign's classic path reads) and v2.
        `1.3.6.1.4.1.57264.1.1=DER:${hex(encoder.encode(issuer))}`,
        `1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:${issuer}`,
        "",
      ].join("\n"),
    );
    await openssl([
      "x509",
      "-req",
      "-in",
      `${dir}/leaf${n}.csr`,
      "-CA",
      `${dir}/ca.pem`,
      "-CAkey",
      `${dir}/ca.key`,
      "-set_serial",
      String(1000 + n),
      "-days",
      "1",
      "-extfile",
      `${dir}/leaf${n}.ext`,
      "-out",
      `${dir}/leaf${n}.pem`,
    ]);
    const leafPem = await Deno.readTextFile(`${dir}/leaf${n}.pem`);
    const leafDer = Uint8Array.from(atob(pemBody(leafPem)), (c) => c.charCodeAt(0));
    return { n, leafKey, leafPem, leafDer };
  };
  return {
    trustedRoot,
    async classic(reference, digest, options = {}) {
      const { n, leafKey, leafPem } = await issue(options);
      const signed = encoder.encode(
        `{"critical":{"identity":{"docker-reference":"${reference}"},"image":{"docker-manifest-` +
          `digest":"${digest}"},"type":"cosign container image signature"},"optional":null}`,
      );
      const sig = await openssl(["dgst", "-sha256", "-sign", leafKey], signed);
      const body = encoder.encode(JSON.stringify({
        apiVersion: "0.0.1",
        kind: "hashedrekord",
        spec: {
          data: { hash: { algorithm: "sha256", value: hex(await sha256(signed)) } },
          signature: { content: b64(sig), publicKey: { content: b64(encoder.encode(leafPem)) } },
        },
      }));
      const integratedTime = options.integratedTime ?? Math.floor(Date.now() / 1000) + 1;
      const logIndex = 5000 + n;
      const promise = encoder.encode(
        `{"body":"${b64(body)}","integratedTime":${integratedTime},"logID":"${hex(logId)}",` +
          `"logIndex":${logIndex}}`,
      );
      const set = await openssl(["dgst", "-sha256", "-sign", `${dir}/rekor.key`], promise);
      const payload = options.tamper === "payload"
        ? encoder.encode(decoder.decode(signed).replace('"optional":null', '"optional":{"x":1}'))
        : signed;
      return {
        payload,
        signature: b64(sig),
        annotations: {
          "dev.sigstore.cosign/certificate": leafPem,
          "dev.sigstore.cosign/chain": await Deno.readTextFile(`${dir}/ca.pem`),
          "dev.sigstore.cosign/bundle": JSON.stringify({
            SignedEntryTimestamp: b64(set),
            Payload: { body: b64(body), integratedTime, logIndex, logID: hex(logId) },
          }),
        },
      };
    },
    async bundle(digest, options = {}) {
      const { n, leafKey, leafPem, leafDer } = await issue(options);
      const { statement, pae } = cosignStatement(digest);
      const sig = await openssl(["dgst", "-sha256", "-sign", leafKey], pae);
      const payload = options.tamper === "payload"
        ? encoder.encode(decoder.decode(statement).replace('"predicate":{}', '"predicate":{"x":1}'))
        : statement;
      const envelope = encoder.encode(JSON.stringify({
        payload: b64(statement),
        payloadType: "application/vnd.in-toto+json",
        signatures: [{ sig: b64(sig) }],
      }));
      const body = encoder.encode(JSON.stringify({
        apiVersion: "0.0.1",
        kind: "dsse",
        spec: {
          envelopeHash: { algorithm: "sha256", value: hex(await sha256(envelope)) },
          payloadHash: { algorithm: "sha256", value: hex(await sha256(statement)) },
          signatures: [{ signature: b64(sig), verifier: b64(encoder.encode(leafPem)) }],
        },
      }));
      // Inside the certificate's validity, which starts when openssl issued it.
      const integratedTime = options.integratedTime ?? Math.floor(Date.now() / 1000) + 1;
      const logIndex = 1000 + n;
      // The SET: the log's signature over the canonical JSON of the entry (keys sorted).
      const promise = encoder.encode(
        `{"body":"${b64(body)}","integratedTime":${integratedTime},"logID":"${hex(logId)}",` +
          `"logIndex":${logIndex}}`,
      );
      const set = await openssl(["dgst", "-sha256", "-sign", `${dir}/rekor.key`], promise);
      const version = options.version ?? "0.1";
      const entry: Record<string, unknown> = {
        logIndex: String(logIndex),
        logId: { keyId: b64(logId) },
        kindVersion: { kind: "dsse", version: "0.0.1" },
        integratedTime: String(integratedTime),
        inclusionPromise: { signedEntryTimestamp: b64(set) },
        canonicalizedBody: b64(body),
      };
      const timestamps = [];
      if (options.timestamp === "tsa") {
        delete entry.inclusionPromise;
        await Deno.writeFile(
          `${dir}/stamped${n}`,
          options.tamper === "tsa" ? encoder.encode("other bytes") : sig,
        );
        const query = `${dir}/query${n}.tsq`;
        await openssl([
          "ts",
          "-query",
          "-data",
          `${dir}/stamped${n}`,
          "-sha256",
          "-cert",
          "-out",
          query,
        ]);
        const reply = await openssl([
          "ts",
          "-reply",
          "-config",
          `${dir}/tsa.cnf`,
          "-queryfile",
          query,
        ]);
        timestamps.push({ signedTimestamp: b64(reply) });
      }
      if (version !== "0.1") {
        // The entry is leaf 5 of a 7-leaf tree (so its path has inner and border hashes); the
        // checkpoint (a signed note) names the tree's size and root.
        const leaves = [0, 1, 2, 3, 4, 5, 6].map((i) => i === 5 ? body : encoder.encode(`e${i}`));
        const root = await treeHash(leaves);
        const hashes = await auditPath(5, leaves);
        if (options.tamper === "proof") hashes[0][0] ^= 1;
        const note = `rekor.h3.test - 42\n${leaves.length}\n${b64(root)}\n`;
        const signer = options.tamper === "checkpoint" ? "other-rekor.key" : "rekor.key";
        const noteSig = await openssl(
          ["dgst", "-sha256", "-sign", `${dir}/${signer}`],
          encoder.encode(note),
        );
        const signature = b64(new Uint8Array([...logId.subarray(0, 4), ...noteSig]));
        entry.inclusionProof = {
          logIndex: "5",
          rootHash: b64(root),
          treeSize: String(leaves.length),
          hashes: hashes.map(b64),
          checkpoint: { envelope: `${note}\n\u2014 rekor.h3.test ${signature}\n` },
        };
      }
      const certificate = { rawBytes: b64(leafDer) };
      return JSON.stringify({
        mediaType: version === "0.3"
          ? "application/vnd.dev.sigstore.bundle.v0.3+json"
          : `application/vnd.dev.sigstore.bundle+json;version=${version}`,
        verificationMaterial: {
          ...(version === "0.3"
            ? { certificate }
            : { x509CertificateChain: { certificates: [certificate] } }),
          tlogEntries: [entry],
          ...(timestamps.length
            ? { timestampVerificationData: { rfc3161Timestamps: timestamps } }
            : {}),
        },
        dsseEnvelope: {
          payload: b64(payload),
          payloadType: "application/vnd.in-toto+json",
          signatures: [{ sig: b64(sig), keyid: "" }],
        },
      });
    },
  };
}
