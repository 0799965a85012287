/** `h3 plugin add SOURCE`: install a TypeScript or executable plugin after checking it. @module */
import { define } from "./_define.ts";
import { addPlugin } from "../core/plugin/install.ts";
import { reportArgs, reporter } from "./_output.ts";
import { printError } from "./ui/safe_text.ts";

/** The command, refusing plugin names that clash with `builtIns` (the tree's top-level names). */
export const pluginAdd = (builtIns: string[]) =>
  define({
    name: "add",
    description: "Add a plugin from a path, an https URL or npm:PACKAGE",
    args: {
      source: {
        type: "positional",
        description:
          "a .ts/.js module, a directory with plugin.ts or plugin.yaml, a URL or npm:SPEC",
      },
      force: {
        type: "boolean",
        description:
          "Replace an installed plugin of the same name (a new version or a changed file)",
      },
      ...reportArgs,
    },
    examples: [
      "# a TypeScript plugin module",
      "$ h3 plugin add ./greet.ts",
      "",
      "# a Helm-style executable plugin (a directory with plugin.yaml)",
      "$ h3 plugin add ./helm-hello/",
      "",
      "# from a URL (https; plain http only on loopback), or an npm package",
      "$ h3 plugin add https://example.com/h3-ecr.ts",
      "$ h3 plugin add npm:h3-plugin-ecr@1.0.0",
    ].join("\n"),
    run: async (ctx) => {
      const out = reporter(ctx.values);
      const info = await addPlugin(ctx.values.source, [...builtIns, "help"], {
        force: ctx.values.force,
        // Shown before the module is imported (its code runs) to check it.
        onReview: (review) =>
          !ctx.values.quiet && printError(
            `Checking plugin ${review.name} ${review.version} from ${review.source} ` +
              `(sha256 ${review.sha256})`,
          ),
      });
      out.print(`Installed plugin: ${info.name} ${info.version}`);
      out.result({ status: "installed", ...info }); // as "h3 plugin list" lists it
    },
  });
