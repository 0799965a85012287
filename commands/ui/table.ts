/**
 * Aligned text tables as the seed prints them: each column padded to the next tab stop (8) past
 * its widest cell, like Go's tabwriter output in a terminal.
 * @module
 */

import { safeLine } from "./safe_text.ts";

/**
 * Renders rows (the first is the header) as aligned lines, without trailing spaces; control
 * characters in cells are escaped (cells often hold what a registry or a chart said).
 */
export function renderTable(cells: string[][]): string {
  const rows = cells.map((row) => row.map(safeLine));
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => widths[i] = Math.max(widths[i] ?? 0, cell.length));
  }
  const stops = widths.map((w) => (Math.floor(w / 8) + 1) * 8);
  return rows.map((row) =>
    row.map((cell, i) => i === row.length - 1 ? cell : cell.padEnd(stops[i])).join("").trimEnd()
  ).join("\n");
}
