/**
 * A small HTTP front (Deno.serve on 127.0.0.1) for a real registry, for the faults a real
 * registry will not make: 503 storms, cut-off downloads, lying digests, huge manifests. Each
 * request goes to `fault` first; it may answer itself, or forward (and alter the answer).
 * @module
 */

/** What a fault sees of one request, and how to pass it on to the registry. */
export interface Exchange {
  request: Request;
  url: URL;
  /** How many requests with this method and path came before this one. */
  seen: number;
  /** The request's body, read already (`request.body` is spent). */
  body?: Uint8Array;
  /** Sends the request to the registry; `Location` headers come back pointing at the proxy. */
  forward(): Promise<Response>;
  /**
   * A response announcing `total` bytes that sends `bytes` and then nothing, until the client
   * hangs up or the proxy stops (a body that never ends would keep the server from shutting down).
   */
  stall(bytes: Uint8Array, total: number): Response;
}

/** Decides one request: a Response to send, or undefined to forward it unchanged. */
export type Fault = (exchange: Exchange) => Response | undefined | Promise<Response | undefined>;

/** A running proxy. */
export interface FaultProxy {
  /** host:port of the proxy, e.g. `127.0.0.1:40125`. */
  host: string;
  url: string;
  /** Every request received: method, path with query, and headers. */
  log: { method: string; path: string; headers: Headers }[];
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts a proxy in front of `upstream` (`http://host:port`), with `fault` deciding requests. */
export function startFaultProxy(upstream: string, fault: Fault = () => undefined): FaultProxy {
  const log: FaultProxy["log"] = [];
  const stopping = new AbortController();
  const stall = (completed: Promise<void>, bytes: Uint8Array, total: number) => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes);
        // Ended quietly when the client hangs up (`completed` rejects) or the proxy stops.
        const end = () => {
          try {
            controller.close();
          } catch { /* ended already */ }
        };
        completed.then(end, end);
        stopping.signal.addEventListener("abort", end);
      },
    });
    return new Response(body, { headers: { "content-length": String(total) } });
  };
  const counts = new Map<string, number>();
  let origin = "";
  const forward = async (request: Request, url: URL, body: Uint8Array | undefined) => {
    const headers = new Headers(request.headers);
    headers.delete("host");
    const response = await fetch(new URL(url.pathname + url.search, upstream), {
      method: request.method,
      headers,
      body: body as BodyInit | undefined,
      redirect: "manual",
    });
    const out = new Headers(response.headers);
    const location = out.get("location");
    if (location) out.set("location", location.replace(upstream, origin));
    return new Response(response.body, { status: response.status, headers: out });
  };
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request, info) => {
      const url = new URL(request.url);
      const key = `${request.method} ${url.pathname}`;
      const seen = counts.get(key) ?? 0;
      counts.set(key, seen + 1);
      log.push({
        method: request.method,
        path: url.pathname + url.search,
        headers: request.headers,
      });
      const body = request.body ? new Uint8Array(await request.arrayBuffer()) : undefined;
      return await fault({
        request,
        url,
        seen,
        body,
        forward: () => forward(request, url, body),
        stall: (bytes, total) => stall(info.completed, bytes, total),
      }) ?? await forward(request, url, body);
    },
  );
  const host = `127.0.0.1:${server.addr.port}`;
  origin = `http://${host}`;
  return {
    host,
    url: origin,
    log,
    async [Symbol.asyncDispose]() {
      stopping.abort();
      await server.shutdown();
    },
  };
}

/** A response announcing all of `bytes` that sends only `cut` of them, then drops the connection. */
export function cutOff(bytes: Uint8Array, cut: number): Response {
  return new Response(ReadableStream.from([bytes.slice(0, cut)]), {
    headers: { "content-length": String(bytes.byteLength) },
  });
}
