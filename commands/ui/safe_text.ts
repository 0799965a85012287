/**
 * Text from outside (registry errors, tags, annotations, Chart.yaml fields) made safe for a
 * terminal: control characters (C0, DEL, C1), Unicode line separators and bidi overrides are
 * shown as escapes (`\x1b`, `\u202e`) instead of being sent, so a registry cannot clear the
 * screen, set the window title, write the clipboard (OSC 52) or fake a line of h3's output.
 * Every command prints through `print` and `printError`.
 * @module
 */

// deno-lint-ignore no-control-regex
const unsafe = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// deno-lint-ignore no-control-regex
const unsafeInLine = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escape(char: string): string {
  const code = char.charCodeAt(0);
  return code < 0x100
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

/** `text` with every control character escaped but newlines and tabs (h3's own layout). */
export function safeText(text: string): string {
  return text.replace(unsafe, escape);
}

/** `text` as one line: newlines and tabs escaped too (for a table cell, a tag, a name). */
export function safeLine(text: string): string {
  return text.replace(unsafeInLine, escape);
}

/** Prints `text` on stdout, control characters escaped. */
export function print(text: string): void {
  console.log(safeText(String(text)));
}

/** Prints `text` on stderr, control characters escaped. */
export function printError(text: string): void {
  console.error(safeText(String(text)));
}

const unsafeInJson = /[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** JSON text with the characters JSON.stringify leaves raw (DEL, C1, bidi) as `\u` escapes. */
export function safeJson(json: string): string {
  return json.replace(unsafeInJson, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
