/**
 * Whether a command-line word names a packaged chart (`mychart-1.2.3.tgz`) rather than a
 * reference: a module of its own, so that a push of cached charts asks without loading the
 * archive reader (tar, YAML, the chart loader).
 * @module
 */

/**
 * Whether `arg` names a packaged chart rather than a reference: it ends in `.tgz` or `.tar.gz`,
 * or is a file on disk (Helm 3.8+'s `push CHART.tgz REMOTE`). A synchronous stat: a bulk push asks
 * for every ref, and an async one's hop to a worker thread costs more than the stat.
 */
export function isChartArchivePath(arg: string | undefined): Promise<boolean> {
  if (arg === undefined) return Promise.resolve(false);
  if (/\.(tgz|tar\.gz)$/.test(arg)) return Promise.resolve(true);
  try {
    return Promise.resolve(Deno.statSync(arg).isFile);
  } catch {
    return Promise.resolve(false);
  }
}
