/**
 * Writes h3's man pages (roff) into `dist/man/` (or the directory given): h3.1, a page per group
 * and one per command, made from the command tree and the same parts as `--help`.
 *
 *     deno task man [DIR]
 *     man -l dist/man/h3-chart-save.1
 */
import { manPages } from "../commands/_man.ts";
import { tree } from "../commands/tree.ts";
import { version } from "../core/version.ts";

const dir = Deno.args[0] ?? new URL("../dist/man", import.meta.url).pathname;
await Deno.mkdir(dir, { recursive: true });
const pages = await manPages(tree, version);
for (const page of pages) await Deno.writeTextFile(`${dir}/${page.file}`, page.text);
console.log(`${pages.length} man pages in ${dir}`);
