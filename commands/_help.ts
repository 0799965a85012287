/** Help pages for h3 itself and for command groups, rendered from the tree without loading commands. @module */
import { entryNamed, type GroupEntry, isGroup, type LazyEntry } from "./_entries.ts";

type Entries = Record<string, GroupEntry | LazyEntry | { description: string }>;

function list(entries: Record<string, { description: string }>): string[] {
  const width = Math.max(...Object.keys(entries).map((n) => n.length)) + 4;
  return Object.entries(entries).map(([name, e]) => `  ${name.padEnd(width)}${e.description}`);
}

/** The flags that ask for a help page. */
export const helpFlags: readonly string[] = ["--help", "-h"];

/** `h3 --help`: what h3 is, its commands and global flags. */
export function rootHelp(entries: Entries): string {
  return [
    "h3: keep Helm charts in OCI registries",
    "",
    "USAGE:",
    "  h3 COMMAND [SUB-COMMAND] [ARGS] [OPTIONS]",
    "",
    "COMMANDS:",
    ...list(entries),
    "",
    "OPTIONS:",
    "  -h, --help       Show help (also: h3 help COMMAND)",
    "  -v, --version    Show h3's version",
    "  --debug          Show stack traces and registry requests (secrets redacted)",
    "",
    'Run "h3 COMMAND --help" for more about a command.',
  ].join("\n");
}

/** `h3 chart --help`: a group's sub-commands. */
export function groupHelp(name: string, group: GroupEntry): string {
  return [
    group.description,
    "",
    "USAGE:",
    `  h3 ${name} SUB-COMMAND [ARGS] [OPTIONS]`,
    "",
    "SUB-COMMANDS:",
    ...list(group.commands),
    "",
    `Run "h3 ${name} SUB-COMMAND --help" for more about a sub-command.`,
  ].join("\n");
}

/** The help page for `args` when it asks for the root's or a group's help; undefined otherwise. */
export function treeHelp(args: string[], entries: Entries): string | undefined {
  const words = args.filter((a) => !helpFlags.includes(a));
  const asked = words.length < args.length || words.length <= 1;
  if (!asked || words.some((w) => w.startsWith("-"))) return undefined;
  if (words.length === 0) return rootHelp(entries);
  const entry = entryNamed(entries, words[0]);
  if (words.length === 1 && entry && "commands" in entry && isGroup(entry as GroupEntry)) {
    return groupHelp(words[0], entry as GroupEntry);
  }
  return undefined;
}

/** The parts of a command definition its help page shows. */
export interface HelpSource {
  description?: string;
  args?: Record<string, ArgHelp>;
  examples?: unknown;
}

/** One declared argument, as gunshi describes it. */
interface ArgHelp {
  type: string;
  short?: string;
  description?: string;
  default?: unknown;
  multiple?: boolean;
  required?: boolean;
  choices?: readonly string[];
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());
}

function optionLine(name: string, arg: ArgHelp): [string, string] {
  const flag = `${arg.short ? `-${arg.short}, ` : "    "}--${kebab(name)}` +
    (arg.type === "boolean" ? "" : ` <${arg.choices ? arg.choices.join("|") : arg.type}>`);
  const extra = arg.default !== undefined && arg.default !== false
    ? ` (default: ${JSON.stringify(arg.default)})`
    : "";
  return [flag, (arg.description ?? "") + extra];
}

function columns(rows: [string, string][]): string[] {
  const width = Math.max(...rows.map(([left]) => left.length)) + 4;
  return rows.map(([left, right]) => `  ${left.padEnd(width)}${right}`);
}

/** A command's help in parts: what its `--help` and its man page both show. */
export interface HelpPage {
  /** The one-line summary. */
  description: string;
  /** The usage line, without the leading `h3 `... e.g. `h3 chart save DIR REF [OPTIONS]`. */
  usage: string;
  /** Positional arguments: name and description. */
  arguments: [string, string][];
  /** Options: the flags (`-o, --output <string>`) and the description with its default. */
  options: [string, string][];
  /** Example lines (`$ h3 ...`, `# comment`, blank). */
  examples: string[];
}

/** The parts of `h3 PATH --help` for the command definition `command`. */
export function helpPage(path: string[], command: HelpSource): HelpPage {
  const args = Object.entries(command.args ?? {});
  const positionals = args.filter(([, a]) => a.type === "positional");
  const options = args.filter(([, a]) => a.type !== "positional");
  const usageWords = positionals.map(([name, a]) => {
    const word = name.toUpperCase() + (a.multiple ? "..." : "");
    return a.required === false ? `[${word}]` : word;
  });
  const examples = typeof command.examples === "string" ? command.examples.trim() : "";
  return {
    description: command.description ?? "",
    usage: `h3 ${[...path, ...usageWords].join(" ")}${options.length ? " [OPTIONS]" : ""}`,
    arguments: positionals.map(([n, a]) => [n.toUpperCase(), a.description ?? ""]),
    options: [
      ...options.map(([n, a]) => optionLine(n, a)),
      ["-h, --help", "Show this help"],
      ["    --debug", "Show stack traces and requests (secrets redacted)"],
    ],
    examples: examples ? examples.split("\n") : [],
  };
}

/** `h3 chart save --help`: summary, usage, arguments, options with defaults, examples. */
export function commandHelp(path: string[], command: HelpSource): string {
  const page = helpPage(path, command);
  const lines = [page.description, "", "USAGE:", `  ${page.usage}`];
  if (page.arguments.length) lines.push("", "ARGUMENTS:", ...columns(page.arguments));
  lines.push("", "OPTIONS:", ...columns(page.options));
  if (page.examples.length) {
    lines.push("", "EXAMPLES:", ...page.examples.map((l) => `  ${l}`));
  }
  return lines.join("\n");
}
