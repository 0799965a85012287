/**
 * A private certificate authority for tests, made with `openssl` in a temp dir: a CA, a server
 * certificate for 127.0.0.1 / ::1 / localhost (and names asked for) and a client certificate (for mTLS), all signed by
 * that CA and valid for two days. Removed on dispose.
 * @module
 */
import type { TlsFiles } from "./registry.ts";

/** PEM files of a test CA and the certificates it signed. */
export interface TestTls {
  /** The directory holding every file. */
  dir: string;
  /** The CA certificate (what `--ca-file` names). */
  ca: string;
  /** Server certificate and key, for `startRegistry({ tls })` or `Deno.serve`. */
  server: TlsFiles;
  /** Client certificate and key (what `--cert-file` / `--key-file` name). */
  client: TlsFiles;
  /** A certificate and key for the same names, signed by ANOTHER CA (a "bad certificate"). */
  untrusted: TlsFiles;
  [Symbol.asyncDispose](): Promise<void>;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd: dir, stdout: "null", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
}

const ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

async function makeCa(dir: string, name: string): Promise<void> {
  await openssl(dir, [
    "req",
    "-x509",
    ...ecKey,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.pem`,
    "-days",
    "2",
    "-subj",
    `/CN=h3 test ${name}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
}

async function makeLeaf(
  dir: string,
  name: string,
  ca: string,
  usage: string,
  names: string[] = [],
): Promise<TlsFiles> {
  await Deno.writeTextFile(
    `${dir}/${name}.ext`,
    [
      "basicConstraints=CA:FALSE",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      `extendedKeyUsage=${usage}`,
      `subjectAltName=${
        ["localhost", ...names].map((n) => `DNS:${n}`).join(",")
      },IP:127.0.0.1,IP:::1`,
    ].join("\n") + "\n",
  );
  await openssl(dir, [
    "req",
    ...ecKey,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
    "-subj",
    `/CN=${name}`,
  ]);
  await openssl(dir, [
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    `${ca}.pem`,
    "-CAkey",
    `${ca}.key`,
    "-CAcreateserial",
    "-out",
    `${name}.pem`,
    "-days",
    "2",
    "-extfile",
    `${name}.ext`,
  ]);
  return { certificate: `${dir}/${name}.pem`, key: `${dir}/${name}.key` };
}

/**
 * Makes a fresh CA with server and client certificates; use with `await using`. The server's
 * certificate is valid for localhost, 127.0.0.1, ::1 and `names`.
 */
export async function makeTls(names: string[] = []): Promise<TestTls> {
  const dir = await Deno.makeTempDir({ prefix: "h3-tls-" });
  try {
    await makeCa(dir, "ca");
    await makeCa(dir, "other-ca");
    const server = await makeLeaf(dir, "server", "ca", "serverAuth", names);
    const client = await makeLeaf(dir, "client", "ca", "clientAuth");
    const untrusted = await makeLeaf(dir, "untrusted", "other-ca", "serverAuth", names);
    return {
      dir,
      ca: `${dir}/ca.pem`,
      server,
      client,
      untrusted,
      async [Symbol.asyncDispose]() {
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      },
    };
  } catch (error) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw error;
  }
}
