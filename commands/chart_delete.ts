/** `h3 chart delete REF... --remote`: delete chart manifests in their registry. @module */
import { define } from "./_define.ts";
import { UsageError } from "./_errors.ts";
import { refLabel } from "../core/ref.ts";
import { reportArgs, transferEach } from "./_transfers.ts";
import { transportArgs } from "./_transport_flags.ts";

export default define({
  name: "delete",
  description: 'Delete charts in their registry (--remote; the cache is "chart remove")',
  args: {
    refs: {
      type: "positional",
      multiple: true,
      description: "References with a tag or digest: registry/repository:tag[@digest]",
    },
    remote: {
      type: "boolean",
      description: "Delete the manifest in the registry (required: this is not the cache)",
    },
    ...transportArgs,
    ...reportArgs,
  },
  examples: [
    "# every tag pointing at that manifest goes with it",
    "$ h3 chart delete localhost:5000/myrepo/mychart:2.7.0 --remote",
    "",
    "# by digest",
    "$ h3 chart delete localhost:5000/myrepo/mychart@sha256:<digest> --remote",
  ].join("\n"),
  run: async (ctx) => {
    if (!ctx.values.remote) {
      throw new UsageError(
        '"h3 chart delete" deletes manifests in a registry: add --remote to do that; ' +
          'to remove charts from the local cache use "h3 chart remove REF"',
      );
    }
    await transferEach(ctx.values, async ({ input, h3, print }) => {
      const { ref, desc } = await h3.deleteRemote(input);
      print(`${refLabel(ref)}: deleted from remote (${desc.digest})`);
      return { status: "deleted", digest: desc.digest };
    });
  },
});
