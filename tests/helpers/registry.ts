/**
 * Starts a real registry for a test: Debian's `docker-registry` (distribution 2.8, registry:2) on
 * 127.0.0.1 with a free port and a temp storage dir, optionally with htpasswd or token auth and
 * TLS. Stopped (and its storage removed) on dispose.
 * @module
 */

/** TLS files for the registry's listener. */
export interface TlsFiles {
  certificate: string;
  key: string;
}

/** How the registry authenticates. */
export type RegistryAuth =
  | { htpasswd: { path: string; realm?: string } }
  | { token: { realm: string; service: string; issuer: string; rootcertbundle: string } };

/** What to start. */
export interface RegistryOptions {
  tls?: TlsFiles;
  auth?: RegistryAuth;
  /** Allow DELETE of manifests (default true). */
  deleteEnabled?: boolean;
}

/** A running registry. */
export interface TestRegistry {
  /** host:port, e.g. `127.0.0.1:40123`. */
  host: string;
  /** `http://host` or `https://host`. */
  url: string;
  /** The storage directory. */
  storage: string;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Finds a free TCP port on 127.0.0.1. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

function configYaml(storage: string, addr: string, options: RegistryOptions): string {
  const lines = [
    "version: 0.1",
    "log:",
    "  level: error",
    "  accesslog:",
    "    disabled: true",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${storage}`,
    "  delete:",
    `    enabled: ${options.deleteEnabled ?? true}`,
    "http:",
    `  addr: ${addr}`,
    "  secret: h3-test-secret",
  ];
  if (options.tls) {
    lines.push(
      "  tls:",
      `    certificate: ${options.tls.certificate}`,
      `    key: ${options.tls.key}`,
    );
  }
  const auth = options.auth;
  if (auth && "htpasswd" in auth) {
    lines.push(
      "auth:",
      "  htpasswd:",
      `    realm: ${auth.htpasswd.realm ?? "h3-test"}`,
      `    path: ${auth.htpasswd.path}`,
    );
  } else if (auth && "token" in auth) {
    const t = auth.token;
    lines.push(
      "auth:",
      "  token:",
      `    realm: ${t.realm}`,
      `    service: ${t.service}`,
      `    issuer: ${t.issuer}`,
      `    rootcertbundle: ${t.rootcertbundle}`,
    );
  }
  return lines.join("\n") + "\n";
}

/** Starts `docker-registry serve` and waits until it answers on /v2/. */
export async function startRegistry(options: RegistryOptions = {}): Promise<TestRegistry> {
  const dir = await Deno.makeTempDir({ prefix: "h3-registry-" });
  const storage = `${dir}/storage`;
  const config = `${dir}/config.yml`;
  for (let attempt = 0;; attempt++) {
    const port = freePort();
    const host = `127.0.0.1:${port}`;
    await Deno.writeTextFile(config, configYaml(storage, host, options));
    const child = new Deno.Command("docker-registry", {
      args: ["serve", config],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const scheme = options.tls ? "https" : "http";
    const stderr = collect(child.stderr);
    if (await waitForPort(port, child)) {
      const stop = async () => {
        try {
          child.kill("SIGTERM");
        } catch { /* already gone */ }
        await child.status;
        await stderr;
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      };
      return { host, url: `${scheme}://${host}`, storage, [Symbol.asyncDispose]: stop };
    }
    const status = await child.status;
    const log = await stderr;
    if (attempt >= 2) {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      throw new Error(`docker-registry did not start (exit ${status.code}):\n${log}`);
    }
  }
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<string> {
  return await new Response(stream).text();
}

async function waitForPort(port: number, child: Deno.ChildProcess): Promise<boolean> {
  let exited = false;
  child.status.then(() => exited = true);
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && !exited) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  if (!exited) child.kill("SIGKILL");
  return false;
}
