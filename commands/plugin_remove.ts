/** `h3 plugin remove NAME`: uninstall a plugin and delete its files. @module */
import { define } from "./_define.ts";
import { removePlugin } from "../core/plugin/install.ts";
import { reportArgs, reporter } from "./_output.ts";

export default define({
  name: "remove",
  description: "Remove an installed plugin",
  args: {
    name: { type: "positional", description: "the plugin's name, as h3 plugin list shows it" },
    ...reportArgs,
  },
  examples: "$ h3 plugin remove greet",
  run: async (ctx) => {
    const out = reporter(ctx.values);
    const info = await removePlugin(ctx.values.name);
    out.print(`Uninstalled plugin: ${info.name}`);
    out.result({ name: info.name, version: info.version, status: "removed" });
  },
});
