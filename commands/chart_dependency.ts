/** `h3 chart dependency update|build|list DIR` (alias `dep`): as `helm dependency`. @module */
import { define } from "./_define.ts";
import type { DependencyResult } from "../core/chart/dependencies.ts";
import { UsageError } from "./_errors.ts";
import { outputFormat, printJson } from "./ui/output.ts";
import { renderTable } from "./ui/table.ts";
import { outputArg } from "./_output.ts";
import { openCommandClient, transportArgs, transportFlags } from "./_transport_flags.ts";

const actions = ["update", "build", "list"] as const;

function report(result: DependencyResult): void {
  for (const file of result.downloaded) console.log(`Saved charts/${file}`);
  const name = result.lockFile.slice(result.lockFile.lastIndexOf("/") + 1);
  console.log(result.lockWritten ? `Wrote ${name}` : `${name} is up to date`);
}

export default define({
  name: "dependency",
  description: "Update, build or list a chart directory's dependencies (charts/, Chart.lock)",
  args: {
    action: { type: "positional", description: "update, build or list" },
    dir: { type: "positional", description: "The chart directory (default: .)", required: false },
    output: outputArg(["table", "json"]),
    "repository-config": {
      type: "string",
      description:
        "Helm's repositories file, for @NAME repositories and credentials (default: $HELM_REPOSITORY_CONFIG, else Helm's)",
    },
    ...transportArgs,
  },
  examples: [
    "# newest versions the ranges allow, into charts/, and Chart.lock written",
    "$ h3 chart dependency update mychart",
    "",
    "# exactly what Chart.lock says (update when there is none)",
    "$ h3 chart dep build mychart",
    "",
    "# NAME VERSION REPOSITORY STATUS (and ALIAS, CONDITION, TAGS when used)",
    "$ h3 chart dep list mychart",
    "",
    "# repositories by name, as Helm's repositories.yaml has them (credentials and TLS too)",
    "#   dependencies: [{name: app, version: ^1.0.0, repository: '@stable'}]",
    "$ h3 chart dep update mychart --repository-config repositories.yaml",
  ].join("\n"),
  run: async (ctx) => {
    const action = ctx.values.action;
    if (!(actions as readonly string[]).includes(action)) {
      throw new UsageError(`unknown action "${action}": use update, build or list`);
    }
    const dir = ctx.values.dir ?? ".";
    const format = outputFormat(ctx.values.output, ["table", "json"]);
    await using h3 = await openCommandClient(transportFlags(ctx.values));
    if (action === "list") {
      const statuses = await h3.listDependencies(dir);
      if (format === "json") return printJson(statuses);
      if (statuses.length === 0) return console.log(`${dir}: no dependencies`);
      // Helm's four columns; ALIAS, CONDITION and TAGS too when a dependency has them.
      const extra = (["alias", "condition", "tags"] as const).filter((key) =>
        statuses.some((s) => s[key] !== undefined)
      );
      console.log(renderTable([
        ["NAME", "VERSION", "REPOSITORY", "STATUS", ...extra.map((k) => k.toUpperCase())],
        ...statuses.map((s) => [
          s.name,
          s.version,
          s.repository,
          s.status,
          ...extra.map((k) => [s[k] ?? ""].flat().join(",")),
        ]),
      ]));
      return;
    }
    const options = { repositoryConfig: ctx.values["repository-config"] };
    const result = action === "update"
      ? await h3.updateDependencies(dir, options)
      : await h3.buildDependencies(dir, options);
    if (format === "json") return printJson(result);
    report(result);
  },
});
