/**
 * A classic chart repository for tests: charts packaged from a map of files, an index.yaml listing
 * them, and a loopback HTTP(S) server that can ask for basic auth and logs what it was sent.
 * @module
 */
import { loadChartDir } from "../../core/chart/load.ts";
import { packChart } from "../../core/chart/package.ts";
import { digestOf } from "../../core/oci/descriptor.ts";
import { writeTree } from "./charts.ts";

/** A packaged chart `name`-`version`. */
export async function pack(dir: string, name: string, version: string): Promise<Uint8Array> {
  const src = `${dir}/src-${name}-${version}`;
  await writeTree(src, {
    "Chart.yaml": `apiVersion: v2\nname: ${name}\nversion: ${version}\n`,
    "values.yaml": "replicaCount: 1\n",
  });
  return await new Response(packChart(await loadChartDir(src))).bytes();
}

export interface Served {
  url: string;
  /** Each request: path and Authorization header ("" when none). */
  log: { path: string; authorization: string }[];
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Serves `files` on loopback (https with `tls`); with `auth`, every request without that basic
 * auth gets 401.
 */
export function serve(
  files: Map<string, Uint8Array>,
  options: { auth?: string; tls?: { certificate: string; key: string } } = {},
): Served {
  const log: Served["log"] = [];
  const handler = (request: Request) => {
    const path = new URL(request.url).pathname;
    const authorization = request.headers.get("authorization") ?? "";
    log.push({ path, authorization });
    if (options.auth && authorization !== `Basic ${btoa(options.auth)}`) {
      return new Response("unauthorized", { status: 401 });
    }
    const body = files.get(path);
    return body ? new Response(body as BodyInit) : new Response("not found", { status: 404 });
  };
  const tls = options.tls &&
    {
      cert: Deno.readTextFileSync(options.tls.certificate),
      key: Deno.readTextFileSync(options.tls.key),
    };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {}, ...tls }, handler);
  const scheme = options.tls ? "https" : "http";
  return {
    url: `${scheme}://${options.tls ? "localhost" : "127.0.0.1"}:${server.addr.port}`,
    log,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

/** index.yaml listing `charts` (name, version, bytes, url). */
export async function indexYaml(
  charts: [string, string, Uint8Array, string][],
): Promise<Uint8Array> {
  const entries: Record<string, unknown[]> = {};
  for (const [name, version, bytes, url] of charts) {
    (entries[name] ??= []).push({
      apiVersion: "v2",
      name,
      version,
      digest: (await digestOf(bytes)).slice("sha256:".length),
      urls: [url],
    });
  }
  return new TextEncoder().encode(JSON.stringify({ apiVersion: "v1", entries }));
}
