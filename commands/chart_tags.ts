/** `h3 chart tags REPO`: the chart versions in a registry repository, newest first. @module */
import { define } from "gunshi/definition";
import { listChartTags, type TagInfo } from "../core/chart/tags.ts";
import { UsageError } from "../core/errors.ts";
import { parseReference } from "../core/ref.ts";
import { humanAge } from "./ui/age.ts";
import { outputFormat, printJson } from "./ui/output.ts";
import { renderTable } from "./ui/table.ts";
import { outputArg } from "./_output.ts";
import { invalidTagWarning } from "./_transfers.ts";
import {
  debugEnabled,
  refConcurrency,
  RegistryOpener,
  transportArgs,
  transportFlags,
} from "./_transport_flags.ts";
import { print, printError } from "./ui/safe_text.ts";

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
    const ref = parseReference(input);
    if (ref.tag || ref.digest) {
      throw new UsageError(`${input}: give the repository without a tag or digest`);
    }
    const flags = transportFlags(ctx.values);
    const debug = debugEnabled() ? (line: string) => printError(line) : undefined;
    using opener = new RegistryOpener(flags, debug);
    const repository = await opener.open(ref);
    const infos = await listChartTags(repository, {
      all: ctx.values.all,
      concurrency: await refConcurrency(flags),
      onInvalidTag: (tag) =>
        printError(invalidTagWarning(`${ref.registry}/${ref.repository}`, tag)),
    });
    if (format === "json") return printJson(infos);
    const now = new Date();
    print(renderTable([
      ["TAG", "NAME", "VERSION", "APP VERSION", "DESCRIPTION", "CREATED"],
      ...infos.map((info) => row(info, now)),
    ]));
  },
});
