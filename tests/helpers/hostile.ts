/**
 * Hostile servers for the security suite: a fake registry or token service on 127.0.0.1 (plain
 * or TLS) whose every answer a test writes, with a log of what h3 sent it, and the bodies an
 * attacker sends (endless, dripping, never answering), each bounded so a test always ends.
 * @module
 */
import type { TlsFiles } from "./registry.ts";
import type { Sandbox } from "./cli.ts";

/** One request a hostile server received. */
export interface Received {
  method: string;
  /** Path and query. */
  path: string;
  headers: Headers;
  body: string;
}

/** A running hostile server. */
export interface Hostile {
  /** host:port, e.g. `127.0.0.1:40125`. */
  host: string;
  /** `http://host` or `https://host`. */
  url: string;
  /** Every request received, in order. */
  log: Received[];
  /** Aborted when the server stops: bodies and waits end with it. */
  stopping: AbortSignal;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Answers one request; `hostile` is the server itself (its url, its log). */
export type Handler = (
  request: Request,
  url: URL,
  hostile: Hostile,
) => Response | Promise<Response>;

/** Starts a hostile server on 127.0.0.1 with a free port; TLS when `tls` is given. */
export async function startHostile(handler: Handler, tls?: TlsFiles): Promise<Hostile> {
  const log: Received[] = [];
  const stop = new AbortController();
  const options = tls
    ? {
      cert: await Deno.readTextFile(tls.certificate),
      key: await Deno.readTextFile(tls.key),
    }
    : {};
  // deno-lint-ignore prefer-const
  let hostile: Hostile;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {}, ...options },
    async (request) => {
      const url = new URL(request.url);
      log.push({
        method: request.method,
        path: url.pathname + url.search,
        headers: request.headers,
        body: request.body ? await request.text() : "",
      });
      return await handler(request, url, hostile);
    },
  );
  const host = `127.0.0.1:${server.addr.port}`;
  hostile = {
    host,
    url: `${tls ? "https" : "http"}://${host}`,
    log,
    stopping: stop.signal,
    async [Symbol.asyncDispose]() {
      stop.abort();
      await server.shutdown();
    },
  };
  return hostile;
}

/** Resolves when `signal` aborts. */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

/**
 * A body that repeats `chunk` until the client cancels it, the server stops or `maxBytes` went out
 * (an "endless" body, bounded); `sent()` tells how many bytes were handed to the client.
 */
export function endless(
  _request: Request,
  hostile: Hostile,
  chunk: Uint8Array,
  maxBytes: number,
): { body: ReadableStream<Uint8Array>; sent: () => number } {
  let sent = 0;
  const gone = hostile.stopping;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (gone.aborted || sent >= maxBytes) return controller.close();
      sent += chunk.byteLength;
      controller.enqueue(chunk);
    },
  }, { highWaterMark: 0 });
  return { body, sent: () => sent };
}

/**
 * A body sending one byte of `bytes` every `intervalMs` (a registry that never goes quite silent),
 * ending with the bytes, the client cancelling it, or the server stopping.
 */
export function drip(
  _request: Request,
  hostile: Hostile,
  bytes: Uint8Array,
  intervalMs: number,
): ReadableStream<Uint8Array> {
  let at = 0;
  const gone = hostile.stopping;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (at >= bytes.byteLength || gone.aborted) return controller.close();
      await Promise.race([new Promise((r) => setTimeout(r, intervalMs)), aborted(gone)]);
      controller.enqueue(bytes.subarray(at, ++at));
    },
  }, { highWaterMark: 0 });
}

/** Waits without answering until the server stops; then a 504. */
export async function never(_request: Request, hostile: Hostile): Promise<Response> {
  await aborted(hostile.stopping);
  return new Response(null, { status: 504 });
}

/** A 401 with a Bearer challenge naming `realm`. */
export function bearerChallenge(realm: string, scope = "repository:a/b:pull"): Response {
  return new Response(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "auth" }] }), {
    status: 401,
    headers: { "www-authenticate": `Bearer realm="${realm}",service="hostile",scope="${scope}"` },
  });
}

/** Docker's config.json for `box` with basic credentials (or an identity token) for `host`. */
export async function storeCredentials(
  box: Sandbox,
  host: string,
  credential: { username: string; password?: string; identityToken?: string },
): Promise<void> {
  const auth = btoa(`${credential.username}:${credential.password ?? ""}`);
  const entry = credential.identityToken
    ? { auth: btoa(`${credential.username}:`), identitytoken: credential.identityToken }
    : { auth };
  await Deno.mkdir(box.env.DOCKER_CONFIG, { recursive: true });
  await Deno.writeTextFile(
    `${box.env.DOCKER_CONFIG}/config.json`,
    JSON.stringify({ auths: { [host]: entry } }),
  );
}

/** What a bounded run returned: `killed` when h3 was still running after `ms` and was stopped. */
export interface BoundedRun {
  code: number;
  stdout: string;
  stderr: string;
  killed: boolean;
}

/** Runs h3 in `box`, killing it after `ms` (an h3 that hangs fails the test instead of it). */
export async function runBounded(box: Sandbox, args: string[], ms: number): Promise<BoundedRun> {
  const { h3Command } = await import("./cli.ts");
  const child = h3Command(args, { cwd: box.dir, env: box.env }).spawn();
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, ms);
  const out = await child.output();
  clearTimeout(timer);
  const decoder = new TextDecoder();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
    killed,
  };
}

/** A chart held in memory by a fake registry: its manifest and blobs by digest. */
export interface ServedChart {
  manifest: Uint8Array;
  /** The manifest's digest. */
  digest: string;
  /** Blob bytes by digest (config and content). */
  blobs: Map<string, Uint8Array>;
  config: string;
  content: string;
  /** The answer for a GET/HEAD of this chart's manifest or blobs, else undefined. */
  answer(request: Request, url: URL): Response | undefined;
}

/** Lays out `chart` (see `rawChart`) as a registry serves it under any repository and tag. */
export async function serveChart(
  chart: { config: Uint8Array; content: Uint8Array },
): Promise<ServedChart> {
  const { sha256 } = await import("./reliability.ts");
  const config = sha256(chart.config);
  const content = sha256(chart.content);
  const manifest = new TextEncoder().encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: {
      mediaType: "application/vnd.cncf.helm.config.v1+json",
      digest: config,
      size: chart.config.byteLength,
    },
    layers: [{
      mediaType: "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
      digest: content,
      size: chart.content.byteLength,
    }],
  }));
  const digest = sha256(manifest);
  const blobs = new Map([[config, chart.config], [content, chart.content]]);
  const body = (request: Request, bytes: Uint8Array) =>
    request.method === "HEAD" ? null : bytes as Uint8Array<ArrayBuffer>;
  return {
    manifest,
    digest,
    blobs,
    config,
    content,
    answer(request, url) {
      if (/\/manifests\/[^/]+$/.test(url.pathname)) {
        return new Response(body(request, manifest), {
          headers: {
            "content-type": "application/vnd.oci.image.manifest.v1+json",
            "docker-content-digest": digest,
            "content-length": String(manifest.byteLength),
          },
        });
      }
      const blob = blobs.get(url.pathname.split("/blobs/")[1] ?? "");
      if (blob) {
        return new Response(body(request, blob), {
          headers: { "content-length": String(blob.byteLength) },
        });
      }
      return undefined;
    },
  };
}
