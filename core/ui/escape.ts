/**
 * Text from registries and charts shown on a terminal: control characters (other than newline and
 * tab) are shown as `\xNN` escapes, so a chart cannot move the cursor, retitle the window or hide
 * text with escape sequences.
 * @module
 */

/** `text` with C0 controls (but `\n` and `\t`), DEL and C1 controls written as `\xNN`. */
export function escapeControls(text: string): string {
  return text.replace(
    // deno-lint-ignore no-control-regex -- matching control characters is the point
    /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}
