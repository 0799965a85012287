/**
 * YAML as Helm writes the metadata of a `.prov` file (Go's yaml.v2 through sigs.k8s.io/yaml):
 * map keys sorted, sequences not indented under their key, strings plain when they can be,
 * double-quoted when they would read as another type (`"true"`, `"1.0"`), single-quoted when they
 * cannot be plain, and long plain or single-quoted strings folded at a space past column 80.
 * Enough for chart metadata (strings, booleans, numbers, lists, maps), not a general emitter.
 * @module
 */

const width = 80;

const otherTypeWords = new Set(
  [
    "y",
    "Y",
    "yes",
    "Yes",
    "YES",
    "n",
    "N",
    "no",
    "No",
    "NO",
    "true",
    "True",
    "TRUE",
    "false",
    "False",
    "FALSE",
    "on",
    "On",
    "ON",
    "off",
    "Off",
    "OFF",
    "~",
    "null",
    "Null",
    "NULL",
    "<<",
    ".inf",
    ".Inf",
    ".INF",
    "+.inf",
    "+.Inf",
    "+.INF",
    "-.inf",
    "-.Inf",
    "-.INF",
    ".nan",
    ".NaN",
    ".NAN",
  ],
);

/** Whether yaml.v2 would read `s`, written plain, as something other than a string. */
function readsAsOtherType(s: string): boolean {
  return s === "" || otherTypeWords.has(s) ||
    /^[-+]?(0|[1-9][0-9_]*)$/.test(s) ||
    /^[-+]?0b[01_]+$/.test(s) ||
    /^[-+]?0x[0-9a-fA-F_]+$/.test(s) ||
    /^[-+]?0[0-7_]+$/.test(s) ||
    /^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$/.test(s) ||
    /^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$/.test(s) ||
    /^\d{4}-\d{1,2}-\d{1,2}([Tt ]|$)/.test(s);
}

/** Whether a string holds a control character (line breaks and tabs included). */
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** Whether a string may be written as a plain block scalar (yaml.v2's analysis, simplified). */
function plainAllowed(s: string): boolean {
  if (s.startsWith("---") || s.startsWith("...")) return false;
  if (/^[#,[\]{}&*!|>'"%@`]/.test(s)) return false;
  if (/^[-?:](\s|$)/.test(s)) return false;
  if (/^\s|\s$/.test(s)) return false;
  if (s.includes(": ") || s.includes(" #") || s.endsWith(":")) return false;
  return !hasControl(s) && !/[\u0085\u2028\u2029\ufeff]/.test(s);
}

/** Writes `text` starting at `column`, breaking at a space past column 80 (then `indent`). */
function fold(text: string, column: number, indent: number): string {
  let out = "";
  let col = column;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === " " && col > width && text[i + 1] !== " " && i + 1 < text.length) {
      out += "\n" + " ".repeat(indent);
      col = indent;
      continue;
    }
    out += c;
    col++;
  }
  return out;
}

/** A double-quoted scalar with Go's escapes. */
function doubleQuoted(s: string): string {
  return JSON.stringify(s).replace(/\\u00([0-9a-f]{2})/g, (_, hex) => `\\x${hex.toUpperCase()}`);
}

/** A string scalar at `column`; continuation lines indented by `indent`. */
function scalar(s: string, column: number, indent: number): string {
  if (readsAsOtherType(s)) return doubleQuoted(s);
  if (plainAllowed(s)) return fold(s, column, indent);
  if (hasControl(s)) return doubleQuoted(s);
  return fold(`'${s.replaceAll("'", "''")}'`, column, indent);
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A scalar value (string, number, boolean, null) as yaml.v2 writes it. */
function leaf(value: unknown, column: number, indent: number): string {
  if (typeof value === "string") return scalar(value, column, indent);
  if (value === null || value === undefined) return "null";
  return String(value);
}

/** A block mapping whose keys start at `indent` (the first line is already at that column). */
function mapping(map: Record<string, unknown>, indent: number): string {
  const pad = " ".repeat(indent);
  const keys = Object.keys(map).sort();
  if (!keys.length) return "{}\n";
  return keys.map((key, i) => {
    const value = map[key];
    const head = (i === 0 ? "" : pad) + scalar(key, indent, indent + 2) + ":";
    return head + block(value, indent, indent + key.length + 1);
  }).join("");
}

/** What follows `key:` for `value`, the key at `indent`, the value's first column `column`. */
function block(value: unknown, indent: number, column: number): string {
  if (Array.isArray(value)) {
    if (!value.length) return " []\n";
    return "\n" + value.map((item) => " ".repeat(indent) + "- " + item_(item, indent + 2)).join("");
  }
  if (isMap(value)) {
    if (!Object.keys(value).length) return " {}\n";
    return "\n" + " ".repeat(indent + 2) + mapping(value, indent + 2);
  }
  return " " + leaf(value, column + 1, indent + 2) + "\n";
}

/** A sequence item's content, starting at `indent` (after `- `). */
function item_(item: unknown, indent: number): string {
  if (isMap(item)) return Object.keys(item).length ? mapping(item, indent) : "{}\n";
  if (Array.isArray(item)) {
    if (!item.length) return "[]\n";
    return item.map((v, i) => (i === 0 ? "" : " ".repeat(indent)) + "- " + item_(v, indent + 2))
      .join("");
  }
  return leaf(item, indent, indent) + "\n";
}

/** A JSON object (chart metadata, a checksum list) as Helm's Go YAML writes it. */
export function goYaml(value: Record<string, unknown>): string {
  return mapping(value, 0);
}
