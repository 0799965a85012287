/**
 * Packaging a chart directory into its .tgz (the seed's "Content"), reproducibly: the same files
 * give the same bytes on every run and machine. What is normalized: entries sorted by path
 * (parents first) under `<chart name>/`; every mtime 0 (1970-01-01); modes 0644 for files and 0755
 * for directories and files with any execute bit; uid/gid 0 and empty user/group names; a gzip
 * header with no file name, no time and OS "unknown". File bodies stream from disk through tar and
 * gzip, so memory use does not grow with the chart's size.
 *
 * Gzip is the web-standard `CompressionStream`: measured on 64 MiB of chart-like data it is as
 * fast as `node:zlib` at the same level (~1.3 s both), and its header is the same on every
 * platform (OS byte 255), whereas zlib writes the build platform's OS code (3 on Unix).
 * @module
 */
import { createTarPacker, type TarHeader } from "modern-tar";
import { ChartError, H3Error } from "../errors.ts";
import type { ChartSource } from "./load.ts";

/** The fixed modification time of every entry. */
const fixedMtime = new Date(0);

/** The header an entry of the package gets; `top` is the chart name, `file.name` "" is top. */
export function entryHeader(
  top: string,
  file: { name: string; dir: boolean; size: number; executable: boolean },
): TarHeader {
  return {
    name: file.name === "" ? `${top}/` : `${top}/${file.name}${file.dir ? "/" : ""}`,
    type: file.dir ? "directory" : "file",
    size: file.dir ? 0 : file.size,
    mode: file.dir || file.executable ? 0o755 : 0o644,
    mtime: fixedMtime,
    uid: 0,
    gid: 0,
    uname: "",
    gname: "",
  };
}

/** Packages a loaded chart directory as a .tgz stream (read it once, to the end). */
export function packChart(source: ChartSource): ReadableStream<Uint8Array<ArrayBuffer>> {
  const { readable, controller } = createTarPacker();
  const top = source.meta.name;
  (async () => {
    try {
      await controller.add(entryHeader(top, { name: "", dir: true, size: 0, executable: false }))
        .close();
      for (const file of source.files) {
        const body = controller.add(entryHeader(top, file));
        if (file.dir) {
          await body.close();
          continue;
        }
        try {
          const handle = await Deno.open(file.path);
          await handle.readable.pipeTo(body);
        } catch (error) {
          if (error instanceof H3Error || error instanceof Deno.errors.NotFound) throw error;
          throw new ChartError(
            `${source.dir}/${file.name}: changed or unreadable while packaging (${
              (error as Error).message
            })`,
            { cause: error },
          );
        }
      }
      controller.finalize();
    } catch (error) {
      controller.error(error);
    }
  })();
  return readable.pipeThrough(new CompressionStream("gzip"));
}
