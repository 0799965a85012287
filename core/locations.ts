/**
 * Where charts can be copied from and to besides registries, in skopeo's syntax: `oci:DIR[:REF]`
 * (an OCI image layout directory) and `oci-archive:FILE.tar[:REF]` (that layout in a tar file),
 * REF being the layout's `org.opencontainers.image.ref.name`. Both open as the same `OciLayout`
 * Target the cache is, so `copy` moves charts between any of them. An archive source is read in
 * place where it is a plain one (`cache/layout_archive.ts`: its blobs read from the file, only
 * its index.json copied out), else unpacked into a temp directory (only the layout's files,
 * checked); an archive destination is built in one (from the existing archive, when there is
 * one) and written as FILE.tar on `commit`, through a temp file and a rename.
 * @module
 */
import { createTarDecoder, createTarPacker } from "modern-tar";
import { folderBlobs, overlayBlobs } from "./cache/blob_reader.ts";
import { OciLayout } from "./cache/layout.ts";
import { wholeBlobSize } from "./target.ts";
import { LayoutArchive, layoutDir, layoutEntryName, layoutFile } from "./cache/layout_archive.ts";
import { replaceFile } from "./write_file.ts";
import { writeStream } from "./stream_file.ts";
import { CacheError, RefError } from "./errors.ts";
import { parseReference, type Reference } from "./ref.ts";

/** A place charts are copied from or to. */
export type Location =
  | { kind: "registry"; input: string; ref: Reference }
  | { kind: "layout"; input: string; path: string; reference?: string }
  | { kind: "archive"; input: string; path: string; reference?: string };

/** The OCI grammar of a layout's ref name (`org.opencontainers.image.ref.name`). */
const refNamePattern =
  /^[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*(?:\/[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*)*$/;

/**
 * Parses a registry reference (`oci://` too), `oci:DIR[:REF]` or `oci-archive:FILE[:REF]` (the
 * path ends at the first `:` after the prefix, as skopeo reads it).
 */
export function parseLocation(input: string): Location {
  const kind = input.startsWith("oci:") && !input.startsWith("oci://")
    ? "layout"
    : input.startsWith("oci-archive:")
    ? "archive"
    : undefined;
  if (!kind) return { kind: "registry", input, ref: parseReference(input) };
  const rest = input.slice(kind === "layout" ? "oci:".length : "oci-archive:".length);
  const colon = rest.indexOf(":");
  const path = colon < 0 ? rest : rest.slice(0, colon);
  const reference = colon < 0 ? undefined : rest.slice(colon + 1);
  if (path === "") throw new RefError(`invalid location "${input}": no path`);
  if (reference !== undefined && !refNamePattern.test(reference)) {
    throw new RefError(`invalid location "${input}": invalid reference "${reference}"`);
  }
  return { kind, input, path, reference };
}

/** A layout or archive opened for a copy. Dispose it to remove temp files. */
export interface OpenedLayout extends AsyncDisposable {
  /** The layout to copy from or to. */
  layout: OciLayout;
  /** Writes an archive destination into place (a no-op for directories and sources). */
  commit(): Promise<void>;
}

async function isFile(path: string): Promise<boolean> {
  return (await Deno.stat(path).catch(() => undefined))?.isFile === true;
}

/** Refuses a directory that exists, is not empty, and is not an OCI layout. */
async function checkLayoutDir(location: Location & { path: string }, source: boolean) {
  const info = await Deno.stat(location.path).catch(() => undefined);
  if (!info) {
    if (source) throw new CacheError(`${location.input}: no such directory`);
    return;
  }
  if (!info.isDirectory) throw new CacheError(`${location.input}: not a directory`);
  if (await isFile(`${location.path}/oci-layout`)) return;
  if (source) throw new CacheError(`${location.input}: not an OCI layout (no oci-layout file)`);
  for await (const _ of Deno.readDir(location.path)) {
    throw new CacheError(`${location.input}: not empty and not an OCI layout`);
  }
}

/** Opens `oci:DIR` or `oci-archive:FILE` as a source (`source`) or a destination. */
export async function openLayoutLocation(
  location: Location & { kind: "layout" | "archive" },
  source: boolean,
): Promise<OpenedLayout> {
  const label = location.input.split(":").slice(0, 2).join(":");
  if (location.kind === "layout") {
    await checkLayoutDir(location, source);
    // A source directory is only read: no lock or temp file is made in it (it may be read-only).
    const layout = await OciLayout.open(location.path, label, { readOnly: source });
    return {
      layout,
      commit: () => Promise.resolve(),
      [Symbol.asyncDispose]: () => Promise.resolve(layout[Symbol.dispose]()),
    };
  }
  const tmp = await Deno.makeTempDir({ prefix: "h3-archive-" });
  let archive: LayoutArchive | undefined;
  const remove = () => {
    archive?.[Symbol.dispose]();
    return Deno.remove(tmp, { recursive: true }).catch(() => {});
  };
  try {
    const exists = await isFile(location.path);
    if (source && !exists) throw new CacheError(`${location.input}: no such file`);
    if (exists) archive = openInPlace(location.path, tmp, location.input);
    if (exists && !archive) await unpackLayout(location.path, tmp, location.input);
    // New blobs go into the temp folder; the archive's are read where they lie.
    const blobs = archive && (source ? archive : overlayBlobs(folderBlobs(tmp), archive));
    const layout = await OciLayout.open(tmp, label, { readOnly: source, blobs });
    return {
      layout,
      commit: () => source ? Promise.resolve() : packLayout(tmp, location.path, archive),
      [Symbol.asyncDispose]: () => {
        layout[Symbol.dispose]();
        return remove();
      },
    };
  } catch (error) {
    await remove();
    throw error;
  }
}

/** The archive at `path` read in place, or undefined when it is to be unpacked. */
function openInPlace(path: string, dir: string, name: string): LayoutArchive | undefined {
  try {
    return LayoutArchive.open(path, dir);
  } catch (error) {
    throw new CacheError(`${name}: cannot be read (${(error as Error).message})`);
  }
}

/**
 * Unpacks the layout files of a tar archive into `dir`, refusing a layout file's name on anything
 * but a regular file (a directory's, on anything but a directory); other entries are skipped.
 */
async function unpackLayout(path: string, dir: string, name: string): Promise<void> {
  await Deno.mkdir(`${dir}/blobs/sha256`, { recursive: true });
  const file = await Deno.open(path);
  try {
    for await (const entry of file.readable.pipeThrough(createTarDecoder({ strict: true }))) {
      const entryName = layoutEntryName(entry.header.name);
      const directory = layoutDir.test(entryName);
      if (!directory && !layoutFile.test(entryName)) {
        // Not the layout's (another tool's notes, h3's own lock and temp files): never written.
        await entry.body.cancel();
        continue;
      }
      if (directory) {
        await entry.body.cancel();
        if (entry.header.type === "directory") continue;
        throw new CacheError(`${name}: entry "${entryName}" is not a directory`);
      }
      if (entry.header.type !== "file") {
        await entry.body.cancel();
        throw new CacheError(`${name}: entry "${entryName}" is not a regular file`);
      }
      const out = await Deno.open(`${dir}/${entryName}`, { write: true, createNew: true });
      await writeStream(out, entry.body);
    }
  } catch (error) {
    if (error instanceof CacheError) throw error;
    throw new CacheError(`${name}: not a valid tar archive (${(error as Error).message})`);
  }
  if (!(await isFile(`${dir}/oci-layout`))) {
    throw new CacheError(`${name}: not an OCI layout archive (no oci-layout file)`);
  }
}

/**
 * Writes the layout in `dir` (its layout files only) as a tar to `path`, atomically, with the
 * blobs of `archive` (the archive it was opened from, read in place) that `dir` does not have.
 */
async function packLayout(dir: string, path: string, archive?: LayoutArchive): Promise<void> {
  const folder = folderBlobs(dir);
  const names = new Set(archive?.hexes());
  for await (const entry of readDirIfAny(`${dir}/blobs/sha256`)) {
    if (entry.isFile && /^[a-f0-9]{64}$/.test(entry.name)) names.add(entry.name);
  }
  const blobs = archive ? overlayBlobs(folder, archive) : folder;
  const { readable, controller } = createTarPacker();
  const header = (name: string, size: number, directory = false) => ({
    name,
    type: directory ? "directory" as const : "file" as const,
    size,
    mode: directory ? 0o755 : 0o644,
    mtime: new Date(0),
  });
  const addFile = async (name: string) => {
    const file = await Deno.open(`${dir}/${name}`);
    const size = (await file.stat()).size;
    await file.readable.pipeTo(controller.add(header(name, size)));
  };
  const addBlob = async (hex: string) => {
    const size = blobs.size(hex)!;
    const entry = controller.add(header(`blobs/sha256/${hex}`, size));
    if (size > wholeBlobSize) return await (await blobs.open(hex)).pipeTo(entry);
    // a small blob read whole (a stream per blob costs more than its bytes)
    const writer = entry.getWriter();
    await writer.write(blobs.read(hex, size));
    await writer.close();
  };
  (async () => {
    try {
      await addFile("oci-layout");
      await addFile("index.json");
      await controller.add(header("blobs/", 0, true)).close();
      await controller.add(header("blobs/sha256/", 0, true)).close();
      for (const hex of [...names].sort()) await addBlob(hex);
      controller.finalize();
    } catch (error) {
      controller.error(error);
    }
  })();
  await replaceFile(path, readable);
}

/** The entries of the directory at `path`; none when it does not exist. */
async function* readDirIfAny(path: string): AsyncIterable<Deno.DirEntry> {
  try {
    yield* Deno.readDir(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}
