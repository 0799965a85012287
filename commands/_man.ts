/**
 * Man pages (roff, section 1) from the command tree and the same `HelpPage` parts `--help` prints:
 * `h3(1)`, a page per group (`h3-chart(1)`) and a page per command (`h3-chart-save(1)`).
 * @module
 */
import { type GroupEntry, isGroup, type LazyEntry } from "./_entries.ts";
import { helpPage, type HelpSource } from "./_help.ts";

/** One man page: its file name (`h3-chart-save.1`) and its roff text. */
export interface ManPage {
  file: string;
  text: string;
}

/** Text escaped for roff: backslashes, hyphens, and a leading `.` or `'` that would be a request. */
export function roff(text: string): string {
  return text.replaceAll("\\", "\\e").replaceAll("-", "\\-").replace(/^([.'])/, "\\&$1");
}

function header(name: string, version: string): string[] {
  return [`.TH "${name.toUpperCase()}" "1" "" "h3 ${version}" "h3 Manual"`];
}

function section(title: string, rows: [string, string][]): string[] {
  if (!rows.length) return [];
  return [
    `.SH ${title}`,
    ...rows.flatMap(([left, right]) => [
      ".TP",
      `.B ${roff(left.trim())}`,
      roff(right),
    ]),
  ];
}

function seeAlso(names: string[]): string[] {
  return [".SH SEE ALSO", names.map((n) => `.BR ${n} (1)`).join(",\n")];
}

/** The man page of the command `path` (e.g. `["chart", "save"]`), from its definition. */
export function commandMan(path: string[], command: HelpSource, version: string): ManPage {
  const name = ["h3", ...path].join("-");
  const page = helpPage(path, command);
  const lines = [
    ...header(name, version),
    ".SH NAME",
    `${name} \\- ${roff(page.description)}`,
    ".SH SYNOPSIS",
    roff(page.usage),
    ...section("ARGUMENTS", page.arguments),
    ...section("OPTIONS", page.options),
  ];
  if (page.examples.length) {
    lines.push(".SH EXAMPLES", ".nf", ".RS 4", ...page.examples.map(roff), ".RE", ".fi");
  }
  const parents = path.slice(0, -1).map((_, i) => ["h3", ...path.slice(0, i + 1)].join("-"));
  lines.push(...seeAlso(["h3", ...parents]));
  return { file: `${name}.1`, text: lines.join("\n") + "\n" };
}

/** `h3(1)` or a group's page (`h3-chart(1)`): what it is and the commands under it. */
function listMan(
  path: string[],
  description: string,
  entries: Record<string, { description: string }>,
  version: string,
): ManPage {
  const words = ["h3", ...path];
  const name = words.join("-");
  const lines = [
    ...header(name, version),
    ".SH NAME",
    `${name} \\- ${roff(description)}`,
    ".SH SYNOPSIS",
    roff(["h3", ...path, path.length ? "SUB-COMMAND" : "COMMAND [SUB-COMMAND]"].join(" ")) +
    " [ARGS] [OPTIONS]",
    ...section(
      "COMMANDS",
      Object.entries(entries).map(([sub, e]) => [[...words, sub].join(" "), e.description]),
    ),
    ...seeAlso(Object.keys(entries).map((sub) => `${name}-${sub}`)),
  ];
  return { file: `${name}.1`, text: lines.join("\n") + "\n" };
}

/** Every man page of `tree`: h3(1), a page per group and a page per command (each loaded). */
export async function manPages(
  tree: Record<string, GroupEntry | LazyEntry>,
  version: string,
): Promise<ManPage[]> {
  const pages = [listMan([], "keep Helm charts in OCI registries", tree, version)];
  for (const [name, entry] of Object.entries(tree)) {
    const leaves = isGroup(entry) ? Object.entries(entry.commands) : [["", entry] as const];
    if (isGroup(entry)) pages.push(listMan([name], entry.description, entry.commands, version));
    for (const [sub, leaf] of leaves) {
      const path = sub ? [name, sub] : [name];
      const command = (await leaf.load()).default as HelpSource;
      pages.push(commandMan(path, command, version));
    }
  }
  return pages;
}
