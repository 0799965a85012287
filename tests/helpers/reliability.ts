/**
 * What the reliability suite shares, written without h3's own code so it checks h3 from outside:
 * an audit of a cache directory (every blob re-hashed, every ref's blobs present, index.json sane),
 * charts pushed to a registry with plain `fetch` (the distribution API: blob POST/PUT, manifest
 * PUT), and small chart directories made in bulk.
 * @module
 */
import { createHash } from "node:crypto";
import { fileEntry, tgz, writeTree } from "./charts.ts";

const helmConfig = "application/vnd.cncf.helm.config.v1+json";
const helmContent = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
const ociManifest = "application/vnd.oci.image.manifest.v1+json";
const refAnnotation = "org.opencontainers.image.ref.name";

/** sha256 of bytes as `sha256:<hex>`. */
export function sha256(bytes: Uint8Array): string {
  return "sha256:" + createHash("sha256").update(bytes).digest("hex");
}

/** sha256 of a file, read as a stream. */
async function hashFile(path: string): Promise<{ digest: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  using file = await Deno.open(path);
  for await (const chunk of file.readable) {
    hash.update(chunk);
    size += chunk.byteLength;
  }
  return { digest: "sha256:" + hash.digest("hex"), size };
}

/** What an audit of a cache found. */
export interface Audit {
  /** The refs index.json names, in its order. */
  refs: string[];
  /** ref → manifest digest. */
  manifests: Record<string, string>;
  /** Everything wrong, one line each; empty for a whole cache. */
  problems: string[];
  /** Files left in the cache's temp dir. */
  temps: string[];
}

/**
 * Audits the cache at `dir` (`$HELM_HOME/registry`): index.json is valid JSON with no ref listed
 * twice; every file under blobs/sha256 hashes to its name; every ref's manifest, config and layers
 * are present with the size the manifest gives. A missing cache is an empty, whole one.
 */
export async function auditCache(dir: string): Promise<Audit> {
  const audit: Audit = { refs: [], manifests: {}, problems: [], temps: [] };
  const text = await Deno.readTextFile(`${dir}/index.json`).catch((e) => {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  });
  if (text === undefined) return audit;
  let index: {
    manifests: { digest: string; size: number; annotations?: Record<string, string> }[];
  };
  try {
    index = JSON.parse(text);
  } catch (error) {
    audit.problems.push(`index.json is not JSON: ${(error as Error).message}`);
    return audit;
  }
  const blobs = new Map<string, { digest: string; size: number }>();
  for await (const entry of Deno.readDir(`${dir}/blobs/sha256`)) {
    const found = await hashFile(`${dir}/blobs/sha256/${entry.name}`);
    blobs.set(`sha256:${entry.name}`, found);
    if (found.digest !== `sha256:${entry.name}`) {
      audit.problems.push(`blob ${entry.name} hashes to ${found.digest}`);
    }
  }
  const need = (what: string, digest: string, size: number) => {
    const blob = blobs.get(digest);
    if (!blob) audit.problems.push(`${what} ${digest} is missing`);
    else if (blob.size !== size) audit.problems.push(`${what} ${digest} has ${blob.size} bytes`);
  };
  for (const desc of index.manifests) {
    const ref = desc.annotations?.[refAnnotation] ?? "(unnamed)";
    if (audit.refs.includes(ref)) audit.problems.push(`${ref} is listed twice`);
    audit.refs.push(ref);
    audit.manifests[ref] = desc.digest;
    need(`${ref}: manifest`, desc.digest, desc.size);
    if (!blobs.has(desc.digest)) continue;
    const manifest = JSON.parse(
      await Deno.readTextFile(`${dir}/blobs/sha256/${desc.digest.slice(7)}`),
    );
    need(`${ref}: config`, manifest.config.digest, manifest.config.size);
    for (const layer of manifest.layers) need(`${ref}: layer`, layer.digest, layer.size);
  }
  audit.temps = await Array.fromAsync(Deno.readDir(`${dir}/.tmp`), (e) => e.name).catch(() => []);
  return audit;
}

/** A chart to push: its config (Chart.yaml as JSON) and content (.tgz) bytes, as given. */
export interface RawChart {
  config: Uint8Array;
  content: Uint8Array;
  configMediaType?: string;
  contentMediaType?: string;
}

/** Descriptors of what `rawPush` stored. */
export interface Pushed {
  manifest: string;
  config: string;
  content: string;
  contentSize: number;
}

async function expectOk(response: Response, what: string): Promise<Response> {
  if (!response.ok) {
    throw new Error(`${what}: HTTP ${response.status} ${await response.text()}`);
  }
  await response.body?.cancel();
  return response;
}

/** Uploads a blob with a POST then a PUT (monolithic upload); returns its digest. */
export async function rawPushBlob(url: string, repo: string, bytes: Uint8Array): Promise<string> {
  const digest = sha256(bytes);
  const started = await expectOk(
    await fetch(`${url}/v2/${repo}/blobs/uploads/`, { method: "POST" }),
    `starting an upload to ${repo}`,
  );
  const location = new URL(started.headers.get("location")!, url);
  location.searchParams.set("digest", digest);
  await expectOk(
    await fetch(location, {
      method: "PUT",
      headers: { "content-type": "application/octet-stream" },
      body: bytes as Uint8Array<ArrayBuffer>,
    }),
    `uploading ${digest}`,
  );
  return digest;
}

/** Stores manifest bytes under `tag`; returns the manifest's digest. */
export async function rawPushManifest(
  url: string,
  repo: string,
  tag: string,
  bytes: Uint8Array,
): Promise<string> {
  await expectOk(
    await fetch(`${url}/v2/${repo}/manifests/${tag}`, {
      method: "PUT",
      headers: { "content-type": ociManifest },
      body: bytes as Uint8Array<ArrayBuffer>,
    }),
    `putting manifest ${repo}:${tag}`,
  );
  return sha256(bytes);
}

/** Pushes a chart's two blobs and its manifest under `repo:tag`, as Helm lays it out. */
export async function rawPush(
  url: string,
  repo: string,
  tag: string,
  chart: RawChart,
): Promise<Pushed> {
  const config = await rawPushBlob(url, repo, chart.config);
  const content = await rawPushBlob(url, repo, chart.content);
  const manifest = new TextEncoder().encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: ociManifest,
    config: {
      mediaType: chart.configMediaType ?? helmConfig,
      digest: config,
      size: chart.config.byteLength,
    },
    layers: [{
      mediaType: chart.contentMediaType ?? helmContent,
      digest: content,
      size: chart.content.byteLength,
    }],
  }));
  return {
    manifest: await rawPushManifest(url, repo, tag, manifest),
    config,
    content,
    contentSize: chart.content.byteLength,
  };
}

/** A valid small chart named `name`, as the bytes `rawPush` takes. */
export async function rawChart(name: string, version = "1.0.0"): Promise<RawChart> {
  const chartYaml = `apiVersion: v2\nname: ${name}\nversion: ${version}\n`;
  return {
    config: new TextEncoder().encode(JSON.stringify({ name, version, apiVersion: "v2" })),
    content: await tgz([
      fileEntry(`${name}/Chart.yaml`, chartYaml),
      fileEntry(`${name}/values.yaml`, `name: ${name}\n`),
    ]),
  };
}

/** Writes a small valid chart directory `root/name` and returns its path. */
export async function writeChart(root: string, name: string, version = "1.0.0"): Promise<string> {
  await writeTree(`${root}/${name}`, {
    "Chart.yaml": `apiVersion: v2\nname: ${name}\nversion: ${version}\n`,
    "values.yaml": `name: ${name}\nversion: ${version}\n`,
    "templates/configmap.yaml": `kind: ConfigMap\nmetadata:\n  name: ${name}\n`,
  });
  return `${root}/${name}`;
}

/** Every file under `root` with the sha256 of its bytes, sorted: two equal trees compare equal. */
export async function treeDigests(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const visit = async (dir: string, prefix: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const rel = prefix + entry.name;
      if (entry.isDirectory) await visit(`${dir}/${entry.name}`, `${rel}/`);
      else out[rel] = (await hashFile(`${dir}/${entry.name}`)).digest;
    }
  };
  await visit(root, "");
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}
