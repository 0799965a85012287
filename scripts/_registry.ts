/**
 * Running Debian's `docker-registry` (distribution 2.8, registry:2): its config file and the wait
 * until it listens. Shared by `deno task registry` and the tests' registry helper.
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

/** What goes into the registry's config besides its storage and address. */
export interface RegistryConfigOptions {
  tls?: TlsFiles;
  /** CA files whose client certificates the TLS listener requires (mutual TLS). */
  clientCas?: string[];
  auth?: RegistryAuth;
  /** Allow DELETE of manifests (default true). */
  deleteEnabled?: boolean;
  /** Write an access log line per request to stdout (default off). */
  accessLog?: boolean;
}

/**
 * The registry's config.yml: filesystem storage in `storage`, listening on `addr` (host:port), with
 * the in-memory cache of blob descriptors that the registry's shipped configs turn on (Debian's
 * /etc/docker/registry/config.yml, the registry:2 image's).
 */
export function registryConfigYaml(
  storage: string,
  addr: string,
  options: RegistryConfigOptions = {},
): string {
  const lines = [
    "version: 0.1",
    "log:",
    "  level: error",
    "  accesslog:",
    `    disabled: ${!options.accessLog}`,
    "storage:",
    "  cache:",
    "    blobdescriptor: inmemory",
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
    if (options.clientCas?.length) {
      lines.push("    clientcas:", ...options.clientCas.map((file) => `      - ${file}`));
    }
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

/** Finds a free TCP port on 127.0.0.1. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * Whether process `pid` holds the socket listening on 127.0.0.1:`port`, read from Linux's /proc;
 * undefined where /proc cannot tell. Another process may have taken a port `freePort` found free,
 * and then answers connections in the child's place.
 */
export async function listensOn(pid: number, port: number): Promise<boolean | undefined> {
  const table = await Deno.readTextFile("/proc/net/tcp").catch(() => undefined);
  if (table === undefined) return undefined;
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  const sockets = new Set(
    table.split("\n").map((line) => line.trim().split(/\s+/))
      .filter((f) => f[1] === local && f[3] === "0A") // 0A: LISTEN
      .map((f) => `socket:[${f[9]}]`),
  );
  if (sockets.size === 0) return false;
  for await (const fd of Deno.readDir(`/proc/${pid}/fd`)) {
    const link = await Deno.readLink(`/proc/${pid}/fd/${fd.name}`).catch(() => "");
    if (sockets.has(link)) return true;
  }
  return false;
}

/**
 * Waits until something accepts connections on 127.0.0.1:`port` (true), or the child exits or 15 s
 * pass (false; a child still running then is killed).
 */
export async function waitForPort(port: number, child: Deno.ChildProcess): Promise<boolean> {
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
