/**
 * Lists a chart directory's files as Helm's loader does: depth first in sorted order, skipping
 * what `.helmignore` (plus Helm's default `templates/.?*`) excludes, following symbolic links
 * (noting those that lead out of the chart, for Helm's "found symbolic link" line), refusing
 * irregular files (devices, sockets, pipes), broken links and link loops.
 * @module
 */
import ignore, { type Ignore } from "ignore";
import { ChartError } from "../errors.ts";

/** One directory or regular file of a chart, by its path inside the chart. */
export interface ChartFile {
  /** `/`-separated path inside the chart directory, e.g. `templates/service.yaml`. */
  name: string;
  /** Where it is on disk. */
  path: string;
  /** True for a directory. */
  dir: boolean;
  /** Size in bytes (0 for directories). */
  size: number;
  /** Whether any execute bit is set (files only). */
  executable: boolean;
  /** For a symbolic link leading out of the chart: where it resolves to. */
  linkedTo?: string;
}

/** The file Helm reads ignore rules from, at the chart's top. */
export const helmIgnoreFile = ".helmignore";

/** Reads the chart's ignore rules: `.helmignore` if present, then Helm's default rule. */
export async function readIgnoreRules(dir: string): Promise<Ignore> {
  const rules = ignore();
  try {
    rules.add(await Deno.readTextFile(`${dir}/${helmIgnoreFile}`));
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return rules.add("templates/.?*");
}

/**
 * Every file and directory under `root` that the rules keep, parents before children. The file
 * system calls are synchronous: on a chart of thousands of small files an async call per file
 * costs several times the call itself (a thread hop and a promise each).
 */
export function walkChart(root: string, label: string, rules: Ignore): Promise<ChartFile[]> {
  try {
    return Promise.resolve(walkSync(root, label, rules));
  } catch (error) {
    return Promise.reject(error);
  }
}

function walkSync(root: string, label: string, rules: Ignore): ChartFile[] {
  const files: ChartFile[] = [];
  const top = Deno.realPathSync(root);
  /** Where a link resolves to when it leads out of the chart; else undefined. */
  const outside = (full: string): string | undefined => {
    const real = Deno.realPathSync(full);
    return real === top || real.startsWith(`${top}/`) ? undefined : real;
  };
  const visit = (path: string, prefix: string, ancestors: Set<string>) => {
    const names: string[] = [];
    const links = new Set<string>();
    for (const entry of Deno.readDirSync(path)) {
      names.push(entry.name);
      if (entry.isSymlink) links.add(entry.name);
    }
    names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const name of names) {
      const rel = prefix + name;
      const full = `${path}/${name}`;
      let info: Deno.FileInfo | undefined;
      try {
        info = Deno.statSync(full);
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
      if (!info) {
        if (rules.ignores(rel)) continue;
        throw new ChartError(`${label}/${rel}: broken symbolic link`);
      }
      if (info.isDirectory) {
        if (rules.ignores(`${rel}/`)) continue;
        const real = Deno.realPathSync(full);
        if (ancestors.has(real)) {
          throw new ChartError(`${label}/${rel}: symbolic link loop`);
        }
        const linkedTo = links.has(name) ? outside(full) : undefined;
        files.push({ name: rel, path: full, dir: true, size: 0, executable: false, linkedTo });
        visit(full, `${rel}/`, new Set([...ancestors, real]));
      } else if (rules.ignores(rel)) {
        continue;
      } else if (info.isFile) {
        const executable = ((info.mode ?? 0) & 0o111) !== 0;
        const linkedTo = links.has(name) ? outside(full) : undefined;
        files.push({ name: rel, path: full, dir: false, size: info.size, executable, linkedTo });
      } else {
        throw new ChartError(
          `${label}/${rel}: not a regular file or directory (add it to ${helmIgnoreFile} to skip it)`,
        );
      }
    }
  };
  visit(root, "", new Set([top]));
  return files;
}
