/** `h3 chart show chart|values|readme|crds|all REF`: what `helm show` prints. @module */
import { define } from "./_define.ts";
import { stringify } from "yaml";
import { type ShowPart, showParts, type ShowResult } from "../core/chart/show.ts";
import { UsageError } from "./_errors.ts";
import { outputFormat, printJson } from "./ui/output.ts";
import { outputArg } from "./_output.ts";
import { openCommandClient, transportArgs, transportFlags } from "./_transport_flags.ts";
import { print } from "./ui/safe_text.ts";

/** Chart.yaml as `helm show chart` prints it: keys sorted, lists not indented, a blank line. */
function chartYaml(result: ShowResult): string {
  return `${stringify(result.meta, { sortMapEntries: true, indentSeq: false })}\n`;
}

/** The text `helm show PART` prints for `result`. */
function render(part: ShowPart, result: ShowResult): string {
  const { values, readme, crds } = result;
  const crdText = crds.map((crd) => `${crd.text}\n`).join("");
  switch (part) {
    case "chart":
      return chartYaml(result);
    case "values":
      return values === undefined ? "" : `${values}\n`;
    case "readme":
      return readme ? `${readme.text}\n` : "";
    case "crds":
      return crdText;
    case "all": {
      let out = chartYaml(result);
      if (values !== undefined) out += `---\n${values}\n`;
      if (readme) out += `---\n${readme.text}\n`;
      if (crds.length) out += (crds[0].text.startsWith("---") ? "" : "---\n") + crdText;
      return out;
    }
  }
}

export default define({
  name: "show",
  description: "Show a chart's Chart.yaml, values, README or CRDs (as helm show)",
  args: {
    part: {
      type: "positional",
      description: `What to show: ${showParts.join(", ")}`,
    },
    ref: {
      type: "positional",
      description: "The chart: registry/repository[:tag][@digest] (cached, else from the registry)",
    },
    version: {
      type: "string",
      description: "A SemVer version or range for a ref without a tag (e.g. ^1.2.0)",
    },
    devel: { type: "boolean", description: "Let a range (or no tag) select pre-releases too" },
    output: outputArg(["yaml", "json"]),
    ...transportArgs,
  },
  examples: [
    "$ h3 chart show values localhost:5000/stable/wordpress:5.1.2",
    "",
    "# no tag: the highest stable version in the registry (or in a range)",
    "$ h3 chart show chart oci://localhost:5000/stable/wordpress --version '^5.0.0'",
    "",
    "# Chart.yaml as JSON",
    "$ h3 chart show chart localhost:5000/stable/wordpress:5.1.2 -o json",
    "",
    "# everything: Chart.yaml, values, README and CRDs, separated by ---",
    "$ h3 chart show all localhost:5000/stable/wordpress:5.1.2",
  ].join("\n"),
  run: async (ctx) => {
    const { part, ref, version, devel } = ctx.values;
    if (!part || !ref) {
      throw new UsageError(`missing PART or REF: give one of ${showParts.join(", ")} and a chart`);
    }
    if (!(showParts as readonly string[]).includes(part)) {
      throw new UsageError(`unknown part "${part}": use ${showParts.join(", ")}`);
    }
    const format = outputFormat(ctx.values.output, ["yaml", "json"]);
    if (format === "json" && part !== "chart") {
      throw new UsageError("--output json is for 'chart show chart' only");
    }
    await using h3 = await openCommandClient(transportFlags(ctx.values));
    const result = await h3.show(ref, part as ShowPart, { version, devel });
    if (format === "json") return printJson(result.meta);
    const text = render(part as ShowPart, result);
    // To a terminal, control characters escaped; to a pipe or file, the chart's bytes as they are.
    // Every part's text ends with a newline, which print adds back.
    if (!Deno.stdout.isTerminal()) await Deno.stdout.write(new TextEncoder().encode(text));
    else if (text) print(text.slice(0, -1));
  },
});
