/** `h3 env`: the paths and settings h3 uses, as `KEY="value"` lines or JSON. @module */
import { define } from "./_define.ts";
import { envVariables } from "../core/env.ts";
import { openCommandClient } from "./_transport_flags.ts";
import { outputFormat, printJson } from "./ui/output.ts";
import { outputArg } from "./_output.ts";
import { print } from "./ui/safe_text.ts";

export default define({
  name: "env",
  description: "Print the paths and settings h3 uses",
  args: {
    output: outputArg(["env", "json"]),
    registry: {
      type: "string",
      description: "Also show the settings and credential store in force for this registry host",
    },
  },
  examples: [
    "# where h3 keeps its cache, plugins and config",
    "$ h3 env",
    "",
    "# which credential store and TLS settings apply to a registry",
    "$ h3 env --registry localhost:5000",
    "",
    "# one value, for scripts",
    "$ h3 env --output json | jq -r .cacheDir",
  ].join("\n"),
  run: async (ctx) => {
    const format = outputFormat(ctx.values.output, ["env", "json"]);
    await using h3 = await openCommandClient();
    const report = await h3.env({ registry: ctx.values.registry });
    if (format === "json") return printJson(report);
    for (const [key, value] of envVariables(report)) {
      print(`${key}=${JSON.stringify(value)}`);
    }
  },
});
