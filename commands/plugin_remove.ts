/** `h3 plugin remove NAME`: uninstall a plugin and delete its files. @module */
import { define } from "gunshi";
import { removePlugin } from "../core/plugin/install.ts";
import { print } from "./ui/safe_text.ts";

export default define({
  name: "remove",
  description: "Remove an installed plugin",
  args: {
    name: { type: "positional", description: "the plugin's name, as h3 plugin list shows it" },
  },
  examples: "$ h3 plugin remove greet",
  run: async (ctx) => {
    const info = await removePlugin(ctx.values.name);
    print(`Uninstalled plugin: ${info.name}`);
  },
});
