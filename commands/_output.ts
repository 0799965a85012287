/** The `--output` flag every listing or reporting command shares. @module */

/** `-o, --output FORMAT` defaulting to the first format; check the value with `outputFormat`. */
export function outputArg(formats: readonly string[]) {
  return {
    type: "string",
    short: "o",
    default: formats[0],
    description: `Output format: ${formats.join(" or ")}`,
  } as const;
}
