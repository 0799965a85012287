/**
 * A forward HTTP proxy on 127.0.0.1 for tests, as corporate proxies are: `CONNECT host:port`
 * opens a tunnel (for HTTPS), and a request with an absolute URL (`GET http://host/path`) is
 * forwarded (for plain HTTP). It records every target it was asked for, so a test can tell which
 * requests went through it and which went direct. Names in `hosts` resolve to 127.0.0.1 in the
 * proxy (as a corporate proxy resolves names the client cannot), so a test can reach a loopback
 * registry under a name h3 would not send to a proxy on its own.
 * @module
 */

/** A running proxy. */
export interface ConnectProxy {
  /** `http://127.0.0.1:PORT`, for HTTPS_PROXY / HTTP_PROXY. */
  url: string;
  /** Each request: `CONNECT host:port` or `GET http://host/path`. */
  seen: string[];
  [Symbol.asyncDispose](): Promise<void>;
}

const maxHeaderBytes = 64 * 1024;

/** Reads one request head (up to the blank line); the rest of what was read is returned too. */
async function readHead(conn: Deno.Conn): Promise<{ head: string; rest: Uint8Array } | undefined> {
  const chunks: number[] = [];
  const buffer = new Uint8Array(16 * 1024);
  while (chunks.length < maxHeaderBytes) {
    const n = await conn.read(buffer);
    if (n === null) return undefined;
    chunks.push(...buffer.subarray(0, n));
    const bytes = new Uint8Array(chunks);
    const text = new TextDecoder("latin1").decode(bytes);
    const end = text.indexOf("\r\n\r\n");
    if (end >= 0) return { head: text.slice(0, end), rest: bytes.subarray(end + 4) };
  }
  return undefined;
}

async function pipe(from: Deno.Conn, to: Deno.Conn): Promise<void> {
  try {
    await from.readable.pipeTo(to.writable, { preventClose: false });
  } catch { /* either side hung up */ }
}

async function tunnel(
  client: Deno.Conn,
  target: string,
  rest: Uint8Array,
  resolve: (name: string) => string,
): Promise<void> {
  const colon = target.lastIndexOf(":");
  const hostname = resolve(target.slice(0, colon).replace(/^\[|\]$/g, ""));
  let upstream: Deno.Conn;
  try {
    upstream = await Deno.connect({ hostname, port: Number(target.slice(colon + 1)) });
  } catch {
    await client.write(new TextEncoder().encode("HTTP/1.1 502 Bad Gateway\r\n\r\n"));
    client.close();
    return;
  }
  await client.write(new TextEncoder().encode("HTTP/1.1 200 Connection established\r\n\r\n"));
  if (rest.length) await upstream.write(rest);
  await Promise.all([pipe(client, upstream), pipe(upstream, client)]);
}

/** Forwards one absolute-URL request over a new connection and relays the answer as it comes. */
async function forward(
  client: Deno.Conn,
  head: string,
  rest: Uint8Array,
  resolve: (name: string) => string,
): Promise<void> {
  const [requestLine, ...headerLines] = head.split("\r\n");
  const [method, target, version] = requestLine.split(" ");
  const url = new URL(target);
  let upstream: Deno.Conn;
  try {
    upstream = await Deno.connect({
      hostname: resolve(url.hostname),
      port: Number(url.port || 80),
    });
  } catch {
    await client.write(new TextEncoder().encode("HTTP/1.1 502 Bad Gateway\r\n\r\n"));
    client.close();
    return;
  }
  const headers = headerLines.filter((l) => !/^(proxy-|connection:)/i.test(l));
  const lines = [
    `${method} ${url.pathname}${url.search} ${version}`,
    ...headers,
    "connection: close",
  ];
  await upstream.write(new TextEncoder().encode(lines.join("\r\n") + "\r\n\r\n"));
  if (rest.length) await upstream.write(rest);
  await Promise.all([pipe(client, upstream), pipe(upstream, client)]);
}

/** Starts the proxy (`hosts`: names it resolves to 127.0.0.1); stop it with `await using`. */
export function startConnectProxy(hosts: string[] = []): ConnectProxy {
  const resolve = (name: string) => hosts.includes(name.toLowerCase()) ? "127.0.0.1" : name;
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const seen: string[] = [];
  const conns = new Set<Deno.Conn>();
  const serving = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      (async () => {
        try {
          const read = await readHead(conn);
          if (!read) return conn.close();
          const [method, target] = read.head.split("\r\n")[0].split(" ");
          seen.push(`${method} ${target}`);
          if (method === "CONNECT") await tunnel(conn, target, read.rest, resolve);
          else await forward(conn, read.head, read.rest, resolve);
        } catch {
          /* a connection dropped mid-way */
        } finally {
          conns.delete(conn);
          try {
            conn.close();
          } catch { /* closed already */ }
        }
      })();
    }
  })().catch(() => {});
  const { port } = listener.addr as Deno.NetAddr;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    async [Symbol.asyncDispose]() {
      listener.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch { /* closed already */ }
      }
      await serving;
    },
  };
}
