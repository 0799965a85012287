/** `h3 plugin list`: installed and built-in plugins, as an aligned table or JSON. @module */
import { define } from "./_define.ts";
import { PluginError } from "../core/errors.ts";
import { readCatalog } from "../core/plugin/catalog.ts";
import { outputFormat, printJson } from "./ui/output.ts";
import { renderTable } from "./ui/table.ts";
import { outputArg } from "./_output.ts";
import { print } from "./ui/safe_text.ts";

const formats = ["table", "json"] as const;

export default define({
  name: "list",
  description: "List the plugins",
  args: { output: outputArg(formats) },
  examples: "$ h3 plugin list\n\n# as JSON, for scripts\n$ h3 plugin list --output json",
  run: (ctx) => {
    const format = outputFormat(ctx.values.output, formats);
    const { plugins, problem } = readCatalog();
    if (problem) throw new PluginError(problem);
    if (format === "json") {
      printJson(plugins);
      return;
    }
    print(renderTable([
      ["NAME", "VERSION", "KIND", "DESCRIPTION"],
      ...plugins.map((p) => [
        p.name,
        p.version,
        p.builtIn ? "built-in" : p.kind,
        p.description,
      ]),
    ]));
  },
});
