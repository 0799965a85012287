/** `h3 chart tags REPO`: the chart versions in a registry repository, newest first. @module */
import { define } from "./_define.ts";
import type { TagInfo } from "../core/chart/tags.ts";
import { UsageError } from "./_errors.ts";
import { humanAge } from "./ui/age.ts";
import { outputFormat, printJson } from "./ui/output.ts";
import { renderTable } from "./ui/table.ts";
import { outputArg } from "./_output.ts";
import { openCommandClient, transportArgs, transportFlags } from "./_transport_flags.ts";
import { print } from "./ui/safe_text.ts";

/** Longest description shown in the table, as `helm search` cuts it. */
const maxDescription = 50;

function cut(text: string): string {
  return text.length > maxDescription ? `${text.slice(0, maxDescription - 3)}...` : text;
}

function row(info: TagInfo, now: Date): string[] {
  const created = info.created ? humanAge(new Date(info.created), now) : "";
  if (!info.chart) return [info.tag, "", "", "", `(${info.reason})`, created];
  return [
    info.tag,
    info.name ?? "",
    info.version ?? "",
    info.appVersion ?? "",
    cut(info.description ?? ""),
    created,
  ];
}

export default define({
  name: "tags",
  description: "List the chart versions in a registry repository, newest first",
  args: {
    repo: { type: "positional", description: "Repository: registry/repository (no tag)" },
    output: outputArg(["table", "json"]),
    all: { type: "boolean", description: "Also list tags that are not Helm charts" },
    ...transportArgs,
  },
  examples: [
    "$ h3 chart tags localhost:5000/stable/wordpress",
    "",
    "# as JSON, tags that are not charts included",
    "$ h3 chart tags oci://localhost:5000/stable/wordpress --output json --all",
  ].join("\n"),
  run: async (ctx) => {
    const input = ctx.values.repo;
    if (!input) throw new UsageError("missing REPO: give a registry repository");
    const format = outputFormat(ctx.values.output, ["table", "json"]);
    await using h3 = await openCommandClient(transportFlags(ctx.values));
    const infos = await h3.tags(input, { all: ctx.values.all });
    if (format === "json") return printJson(infos);
    const now = new Date();
    print(renderTable([
      ["TAG", "NAME", "VERSION", "APP VERSION", "DESCRIPTION", "CREATED"],
      ...infos.map((info) => row(info, now)),
    ]));
  },
});
