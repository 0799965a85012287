/**
 * A fetch over `node:https` that accepts any server certificate, for `--insecure-skip-tls-verify`
 * (Deno's fetch has no such switch). Loaded only when that flag is given.
 * @module
 */
import type { FetchLike } from "./options.ts";

/** A fetch that skips certificate verification, with a keep-alive agent; `close` frees it. */
export async function insecureFetch(): Promise<{ fetch: FetchLike; close: () => void }> {
  const [{ Agent, request }, { Readable }] = await Promise.all([
    import("node:https"),
    import("node:stream"),
  ]);
  const agent = new Agent({ keepAlive: true, rejectUnauthorized: false });
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
    return await new Promise<Response>((resolve, reject) => {
      const req = request(url, {
        method,
        headers: Object.fromEntries(headers),
        agent,
        rejectUnauthorized: false,
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
