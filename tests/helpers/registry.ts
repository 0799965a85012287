/**
 * Starts a real registry for a test: Debian's `docker-registry` (distribution 2.8, registry:2) on
 * 127.0.0.1 with a free port and a temp storage dir, optionally with htpasswd or token auth and
 * TLS. Stopped (and its storage removed) on dispose.
 * @module
 */
import {
  freePort,
  listensOn,
  type RegistryAuth,
  type RegistryConfigOptions,
  registryConfigYaml,
  type TlsFiles,
  waitForPort,
} from "../../scripts/_registry.ts";

export { freePort };
export type { RegistryAuth, TlsFiles };

/** What to start: the config, and the program (default Debian's `docker-registry`). */
export type RegistryOptions = RegistryConfigOptions & { program?: string };

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

/** Starts `docker-registry serve` and waits until it answers on /v2/. */
export async function startRegistry(options: RegistryOptions = {}): Promise<TestRegistry> {
  const dir = await Deno.makeTempDir({ prefix: "h3-registry-" });
  const storage = `${dir}/storage`;
  const config = `${dir}/config.yml`;
  for (let attempt = 0;; attempt++) {
    const port = freePort();
    const host = `127.0.0.1:${port}`;
    await Deno.writeTextFile(config, registryConfigYaml(storage, host, options));
    const child = new Deno.Command(options.program ?? "docker-registry", {
      args: ["serve", config],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const scheme = options.tls ? "https" : "http";
    const stderr = collect(child.stderr);
    // Whoever answers on the port must be this child: a parallel test may have taken the port.
    const ours = await waitForPort(port, child) &&
      await listensOn(child.pid, port).catch(() => false) !== false;
    if (ours) {
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
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
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
