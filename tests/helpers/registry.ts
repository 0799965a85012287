/**
 * Starts a real registry for a test: Debian's `docker-registry` (distribution 2.8, registry:2), or
 * distribution v3 (`registry3` from `scripts/peers.sh`; v3.1.2 has no OCI 1.1 referrers API), on
 * 127.0.0.1 with a free port and a temp storage dir, optionally with htpasswd or token auth and
 * TLS. Stopped (and its storage removed) on dispose. {@linkcode testEachRegistry} runs one test
 * against each implementation.
 * @module
 */
import { peer, peerMissing } from "./peers.ts";
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

/** Which registry implementation: registry:2 (Debian's docker-registry 2.8) or distribution v3. */
export type RegistryKind = "registry2" | "registry3";

/** What to start. */
export interface RegistryOptions extends RegistryConfigOptions {
  /** The implementation (default registry2). */
  kind?: RegistryKind;
  /** A registry binary by path, run as `PROGRAM serve config.yml`, instead of `kind`'s. */
  program?: string;
  /** The directory its temp dir (config and storage) goes in (default: the system's temp dir). */
  parent?: string;
}

/** Starts a registry of one implementation. */
export type StartRegistry = (options?: RegistryConfigOptions) => Promise<TestRegistry>;

/** One registry implementation tests can run against. */
export interface RegistryImplementation {
  /** Which one. */
  kind: RegistryKind;
  /** What test names call it, e.g. `[distribution v3]`. */
  label: string;
  /** For `Deno.test({ ignore })`: false, or why it cannot run here. */
  missing: false | string;
  /** Starts one, as {@linkcode startRegistry} with this kind. */
  start: StartRegistry;
}

/** Both implementations: registry:2, and distribution v3 when `scripts/peers.sh` built it. */
export const registryKinds: RegistryImplementation[] = (["registry2", "registry3"] as const).map(
  (kind) => {
    const missing = kind === "registry3" && peerMissing("registry3");
    return {
      kind,
      label: kind === "registry2"
        ? "[registry:2]"
        : `[distribution v3${missing ? `; ${missing}` : ""}]`,
      missing,
      start: (options: RegistryConfigOptions = {}) => startRegistry({ ...options, kind }),
    };
  },
);

/**
 * Defines test `name` once per implementation (the name ends with its label; distribution v3 is
 * ignored, saying why, when it is not built). `fn` gets that implementation's start function.
 */
export function testEachRegistry(
  name: string,
  fn: (start: StartRegistry, t: Deno.TestContext) => Promise<void>,
): void {
  for (const impl of registryKinds) {
    Deno.test({
      name: `${name} ${impl.label}`,
      ignore: impl.missing !== false,
      fn: (t) => fn(impl.start, t),
    });
  }
}

/** The program that serves `kind`. */
function registryProgram(kind: RegistryKind): string {
  if (kind === "registry2") return "docker-registry";
  const built = peer("registry3");
  if (!built) throw new Error(`registry3 ${peerMissing("registry3")}`);
  return built.path;
}

/** A running registry. */
export interface TestRegistry {
  /** Which implementation runs. */
  kind: RegistryKind;
  /** host:port, e.g. `127.0.0.1:40123`. */
  host: string;
  /** `http://host` or `https://host`. */
  url: string;
  /** The storage directory. */
  storage: string;
  /** The registry process's id (the bench reads its CPU time from `/proc/PID/stat`). */
  pid: number;
  /**
   * With `accessLog`: the requests served so far, as `METHOD /path?query STATUS` (the access log
   * reaches us a moment after the response: call it once the client is done and a beat later).
   */
  requests(): string[];
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts `docker-registry serve` (or `registry3 serve`) and waits until it answers on /v2/. */
export async function startRegistry(options: RegistryOptions = {}): Promise<TestRegistry> {
  const dir = await Deno.makeTempDir({ prefix: "h3-registry-", dir: options.parent });
  const storage = `${dir}/storage`;
  const config = `${dir}/config.yml`;
  const program = options.program ?? registryProgram(options.kind ?? "registry2");
  for (let attempt = 0;; attempt++) {
    const port = freePort();
    const host = `127.0.0.1:${port}`;
    await Deno.writeTextFile(config, registryConfigYaml(storage, host, options));
    const child = new Deno.Command(program, {
      args: ["serve", config],
      stdout: options.accessLog ? "piped" : "null",
      stderr: "piped",
    }).spawn();
    const scheme = options.tls ? "https" : "http";
    const stderr = collect(child.stderr);
    const log: string[] = [];
    const stdout = options.accessLog ? accessLog(child.stdout, log) : Promise.resolve();
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
        await stdout;
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      };
      const url = `${scheme}://${host}`;
      return {
        kind: options.kind ?? "registry2",
        host,
        url,
        storage,
        pid: child.pid,
        requests: () => [...log],
        [Symbol.asyncDispose]: stop,
      };
    }
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    const status = await child.status;
    const errors = await stderr;
    await stdout;
    if (attempt >= 2) {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      throw new Error(`${program} did not start (exit ${status.code}):\n${errors}`);
    }
  }
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<string> {
  return await new Response(stream).text();
}

/** Reads combined-format access log lines into `into` as `METHOD /path STATUS`. */
async function accessLog(stream: ReadableStream<Uint8Array>, into: string[]): Promise<void> {
  let rest = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    const lines = (rest + text).split("\n");
    rest = lines.pop()!;
    for (const line of lines) {
      const match = /"([A-Z]+) (\S+) HTTP\/[\d.]+" (\d{3})/.exec(line);
      if (match) into.push(`${match[1]} ${match[2]} ${match[3]}`);
    }
  }
}

/**
 * The access log's lines since `from` (an index into `requests()`), once the log has caught up (it
 * lags the responses a little); the version checks (`GET /v2/`) are left out unless `pings`.
 */
export async function requestsSince(
  registry: TestRegistry,
  from: number,
  { pings = false } = {},
): Promise<string[]> {
  let last = -1;
  for (let i = 0; i < 50; i++) { // bounded: 50 × 40 ms
    const now = registry.requests().length;
    if (now === last) break;
    last = now;
    await new Promise((resolve) => setTimeout(resolve, 40));
  }
  return registry.requests().slice(from).filter((line) => pings || !line.startsWith("GET /v2/ "));
}
