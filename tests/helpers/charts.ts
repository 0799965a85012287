/**
 * Chart fixtures made by code: temp dirs, chart directories written from a map of files, trees
 * read back for comparison, and hand-built (possibly hostile) .tgz archives.
 * @module
 */
import { packTar, type TarEntry } from "modern-tar";

/** The walkthrough's chart: Chart.yaml, values, a template and a .helmignore. */
export const fixtureChart: string = new URL("../fixtures/charts/mychart", import.meta.url).pathname;

/** A minimal valid chart. */
export const minimalChart: Record<string, string> = {
  "Chart.yaml": "apiVersion: v2\nname: mychart\nversion: 2.7.0\n",
  "values.yaml": "replicaCount: 1\n",
  "templates/service.yaml": "kind: Service\n",
};

/** A temp directory removed on dispose. */
export interface TempDir extends AsyncDisposable {
  dir: string;
}

/** Makes a temp directory; use with `await using`. */
export async function tempDir(): Promise<TempDir> {
  const dir = await Deno.makeTempDir({ prefix: "h3-chart-" });
  return { dir, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
}

/** Writes `files` (path → content) under `root`, creating directories. */
export async function writeTree(
  root: string,
  files: Record<string, string | Uint8Array>,
): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    const path = `${root}/${name}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    if (typeof content === "string") await Deno.writeTextFile(path, content);
    else await Deno.writeFile(path, content);
  }
}

/** Every entry under `root`: files as their text, directories as "<dir>". */
export async function readTree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const visit = async (dir: string, prefix: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const rel = prefix + entry.name;
      if (entry.isDirectory) {
        out[rel] = "<dir>";
        await visit(`${dir}/${entry.name}`, `${rel}/`);
      } else {
        out[rel] = await Deno.readTextFile(`${dir}/${entry.name}`);
      }
    }
  };
  await visit(root, "");
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** A gzip-compressed tar of `entries`, exactly as given (names, types, sizes unchecked). */
export async function tgz(entries: TarEntry[]): Promise<Uint8Array> {
  const tar = await packTar(entries);
  return await new Response(ReadableStream.from([tar]).pipeThrough(new CompressionStream("gzip")))
    .bytes();
}

/** A file entry for `tgz`. */
export function fileEntry(name: string, body: string, mode = 0o644): TarEntry {
  return { header: { name, size: new TextEncoder().encode(body).byteLength, mode }, body };
}

/**
 * Every path under `dir` with its size and mtime (none when `dir` is missing): compare two to prove
 * a command created or changed nothing there.
 */
export async function treeSnapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  const visit = async (path: string) => {
    for await (const entry of Deno.readDir(path)) {
      const full = `${path}/${entry.name}`;
      const info = await Deno.lstat(full);
      out.push(`${full} ${info.size} ${info.mtime?.getTime()}`);
      if (entry.isDirectory) await visit(full);
    }
  };
  await visit(dir).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  return out.sort();
}
