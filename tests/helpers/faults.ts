/**
 * A TCP front for the one fault an HTTP server cannot make: a connection that drops with no
 * answer at all (a reset during an upload). It relays one HTTP request per connection
 * (`Connection: close`) to an upstream host, rewriting `Location` headers to point back at itself,
 * and for the requests `drop` picks closes the connection instead of answering: before the
 * upstream saw the request, or after it handled it (the answer is lost).
 * @module
 */

/** When to drop a request's connection: never, before forwarding it, or after. */
export type Drop = "before" | "after" | undefined;

/** A running front. */
export interface DropFront {
  /** host:port of the front. */
  host: string;
  /** Requests dropped so far, as `METHOD path`. */
  dropped: string[];
  [Symbol.asyncDispose](): Promise<void>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function indexOfBlankLine(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) {
      return i;
    }
  }
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Reads one request (head and Content-Length body) from a connection. */
async function readRequest(conn: Deno.Conn): Promise<{ head: string; body: Uint8Array } | null> {
  let buffer: Uint8Array = new Uint8Array();
  const chunk = new Uint8Array(65536);
  let end = -1;
  while ((end = indexOfBlankLine(buffer)) < 0) {
    const n = await conn.read(chunk);
    if (n === null) return null;
    buffer = concat(buffer, chunk.subarray(0, n));
  }
  const head = decoder.decode(buffer.subarray(0, end));
  const length = Number(/^content-length:\s*(\d+)/im.exec(head)?.[1] ?? 0);
  let body = buffer.subarray(end + 4);
  while (body.length < length) {
    const n = await conn.read(chunk);
    if (n === null) break;
    body = concat(body, chunk.subarray(0, n));
  }
  return { head, body };
}

/** Sends a request to `upstream` and returns everything it answered, up to its closing. */
async function exchange(upstream: string, head: string, body: Uint8Array): Promise<Uint8Array> {
  const [hostname, port] = [
    upstream.slice(0, upstream.lastIndexOf(":")),
    upstream.split(":").pop(),
  ];
  const conn = await Deno.connect({ hostname, port: Number(port) });
  try {
    const lines = head.split("\r\n").filter((l) => !/^connection:/i.test(l));
    await conn.write(
      concat(encoder.encode(`${lines.join("\r\n")}\r\nConnection: close\r\n\r\n`), body),
    );
    let answer: Uint8Array = new Uint8Array();
    const chunk = new Uint8Array(65536);
    for (let n; (n = await conn.read(chunk)) !== null;) {
      answer = concat(answer, chunk.subarray(0, n));
    }
    return answer;
  } finally {
    conn.close();
  }
}

/** Starts a front before `upstream` (host:port); `drop` sees each request's method and path. */
export function startDropFront(
  upstream: string,
  drop: (method: string, path: string) => Drop,
): DropFront {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const host = `127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
  const dropped: string[] = [];
  const handle = async (conn: Deno.Conn) => {
    try {
      const request = await readRequest(conn);
      if (!request) return;
      const [method, path] = request.head.split(" ");
      const decision = drop(method, path);
      if (decision) dropped.push(`${method} ${path}`);
      if (decision === "before") return;
      const answer = await exchange(upstream, request.head, request.body);
      if (decision === "after") return;
      const end = indexOfBlankLine(answer);
      const head = decoder.decode(answer.subarray(0, end)).replaceAll(upstream, host);
      await conn.write(concat(encoder.encode(head), answer.subarray(end)));
    } catch {
      // the client went away: nothing to relay
    } finally {
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
  };
  const connections = new Set<Promise<void>>();
  const accepting = (async () => {
    for await (const conn of listener) {
      const done = handle(conn);
      connections.add(done);
      done.finally(() => connections.delete(done));
    }
  })().catch(() => {});
  return {
    host,
    dropped,
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting;
      await Promise.all(connections);
    },
  };
}
