/** `h3 chart list`: every chart in the local cache, as an aligned table or JSON. @module */
import { define } from "./_define.ts";
import { readEntries } from "../core/cache/index_file.ts";
import { cacheDir } from "../core/paths.ts";
import { annotations } from "../core/oci/media_types.ts";
import { shortDigest } from "../core/oci/descriptor.ts";
import { humanAge } from "./ui/age.ts";
import { humanSize } from "../core/size.ts";
import { renderTable } from "./ui/table.ts";
import { outputFormat, printJson } from "./ui/output.ts";
import { outputArg } from "./_output.ts";
import { print } from "./ui/safe_text.ts";

export default define({
  name: "list",
  description: "List the charts in the local cache",
  args: {
    output: outputArg(["table", "json"]),
  },
  examples:
    "# every cached chart\n$ h3 chart list\n\n# as JSON, for scripts\n$ h3 chart list --output json",
  run: async (ctx) => {
    const format = outputFormat(ctx.values.output, ["table", "json"]);
    const rows = (await readEntries(cacheDir())).map(({ ref, desc }) => {
      const a = desc.annotations ?? {};
      const created = a[annotations.created];
      return {
        ref,
        name: a[annotations.title] ?? "",
        version: a[annotations.version] ?? "",
        digest: a[annotations.contentDigest] ?? "",
        size: Number(a[annotations.contentSize] ?? 0),
        created: created ?? null,
      };
    });
    if (format === "json") return printJson(rows);
    const now = new Date();
    print(renderTable([
      ["REF", "NAME", "VERSION", "DIGEST", "SIZE", "CREATED"],
      ...rows.map((r) => [
        r.ref,
        r.name,
        r.version,
        r.digest ? shortDigest(r.digest) : "",
        r.digest ? humanSize(r.size) : "",
        r.created ? humanAge(new Date(r.created), now) : "",
      ]),
    ]));
  },
});
