/** Human sizes in binary units, as the seed prints them: `454 B`, `4.3 KiB`, `1.2 MiB`. @module */
import prettyBytes from "pretty-bytes";

/** Formats a byte count in binary units with three significant digits (`4.3 KiB`, `28.1 KiB`). */
export function humanSize(bytes: number): string {
  return prettyBytes(bytes, { binary: true });
}
