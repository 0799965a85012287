/**
 * A fetch over `node:https` that accepts any server certificate, for `--insecure-skip-tls-verify`
 * (Deno's fetch has no such switch), through the proxy `proxyFor` picks (a CONNECT tunnel). Loaded
 * only when that flag is given.
 * @module
 */
import type { FetchLike } from "./options.ts";
import { type Proxy, proxyFor, type ProxySettings } from "./proxy.ts";

type Https = typeof import("node:https");
type Http = typeof import("node:http");
type Tls = typeof import("node:tls");
type Socket = import("node:net").Socket;

/** Most bytes of a proxy's answer to CONNECT h3 reads before giving up on it. */
const maxConnectAnswer = 16 * 1024;

/** A socket tunnelled through `proxy` to `host:port` with CONNECT. */
function connectTunnel(
  http: Http,
  proxy: Proxy,
  target: URL,
  signal?: AbortSignal | null,
): Promise<Socket> {
  const port = target.port || "443";
  const authority = `${target.hostname}:${port}`;
  const headers: Record<string, string> = { host: authority };
  if (proxy.basicAuth) {
    const { username, password } = proxy.basicAuth;
    const bytes = new TextEncoder().encode(`${username}:${password}`);
    headers["proxy-authorization"] = `Basic ${btoa(String.fromCharCode(...bytes))}`;
  }
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: proxy.url.hostname.replace(/^\[|\]$/g, ""),
      port: Number(proxy.url.port || 80),
      method: "CONNECT",
      path: authority,
      headers,
      agent: false,
      maxHeaderSize: maxConnectAnswer,
    });
    req.on("connect", (res, socket) => {
      if (res.statusCode === 200) return resolve(socket);
      socket.destroy();
      reject(new Error(`proxy ${proxy.url.host} refused CONNECT ${authority}: ${res.statusCode}`));
    });
    req.on("error", reject);
    signal?.addEventListener("abort", () => req.destroy(signal.reason));
    req.end();
  });
}

/**
 * A fetch that skips certificate verification, with a keep-alive agent for direct connections;
 * requests `proxies` sends through a proxy go through a CONNECT tunnel each. `close` frees it.
 */
export async function insecureFetch(
  proxies: ProxySettings,
): Promise<{ fetch: FetchLike; close: () => void }> {
  const [https, http, tls, { Readable }] = await Promise.all([
    import("node:https") as Promise<Https>,
    import("node:http") as Promise<Http>,
    import("node:tls") as Promise<Tls>,
    import("node:stream"),
  ]);
  const agent = new https.Agent({ keepAlive: true, rejectUnauthorized: false });
  const fetch: FetchLike = async (input, init = {}) => {
    const url = new URL(String(input));
    const method = init.method ?? "GET";
    const headers = new Headers(init.headers);
    let body: Uint8Array | undefined;
    if (init.body instanceof URLSearchParams) {
      if (!headers.has("content-type")) {
        headers.set("content-type", "application/x-www-form-urlencoded;charset=UTF-8");
      }
      body = new TextEncoder().encode(init.body.toString());
    } else if (init.body !== undefined && init.body !== null) {
      body = new Uint8Array(await new Response(init.body).arrayBuffer());
    }
    if (body) headers.set("content-length", String(body.byteLength));
    const proxy = proxyFor(url, proxies);
    const tunnel = proxy && await connectTunnel(http, proxy, url, init.signal);
    return await new Promise<Response>((resolve, reject) => {
      const req = https.request(url, {
        method,
        headers: Object.fromEntries(headers),
        rejectUnauthorized: false,
        agent: tunnel ? tunnelAgent(https, tls, tunnel, url) : agent,
      }, (res) => {
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          for (const v of Array.isArray(value) ? value : [value ?? ""]) {
            responseHeaders.append(name, v);
          }
        }
        const status = res.statusCode ?? 502;
        const empty = method === "HEAD" || status === 204 || status === 304;
        if (empty) res.resume();
        resolve(
          new Response(empty ? null : Readable.toWeb(res) as ReadableStream<Uint8Array>, {
            status,
            statusText: res.statusMessage,
            headers: responseHeaders,
          }),
        );
      });
      req.on("error", reject);
      init.signal?.addEventListener("abort", () => req.destroy(init.signal?.reason));
      req.end(body);
    });
  };
  return { fetch, close: () => agent.destroy() };
}

/** An agent for one request whose connection is TLS over `tunnel` (a CONNECT tunnel). */
function tunnelAgent(https: Https, tls: Tls, tunnel: Socket, url: URL): import("node:https").Agent {
  const agent = new https.Agent({ keepAlive: false, rejectUnauthorized: false });
  agent.createConnection = () =>
    tls.connect({ socket: tunnel, servername: sniName(url), rejectUnauthorized: false });
  return agent;
}

/** The TLS server name for `url`: its host name, none for an IP address (SNI carries names only). */
function sniName(url: URL): string | undefined {
  const host = url.hostname;
  return host.startsWith("[") || /^\d+\.\d+\.\d+\.\d+$/.test(host) ? undefined : host;
}
