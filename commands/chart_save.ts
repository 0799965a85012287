/** `h3 chart save DIR REF`: package a chart directory into the local cache. @module */
import { define } from "./_define.ts";
import { openCommandClient, transportArgs, transportFlags } from "./_transport_flags.ts";
import { fileProblem, SignatureError } from "../core/errors.ts";
import { UsageError } from "./_errors.ts";
import { signProvenance } from "../core/sign/provenance.ts";
import { passwordFrom } from "./_password.ts";
import { formatReference, refLabel } from "../core/ref.ts";
import { chartSummary, savingLine } from "./_print.ts";
import { reportArgs, reporter } from "./_output.ts";
import { printError } from "./ui/safe_text.ts";

/** With `--sign`, what signs the package: the named key of the keyring, as Helm does. */
async function provenanceSigner(
  values: { sign?: boolean; key?: string; keyring?: string },
): Promise<((message: string) => Promise<string>) | undefined> {
  if (!values.sign) {
    if (values.key || values.keyring) throw new UsageError("--key and --keyring need --sign");
    return undefined;
  }
  if (!values.key || !values.keyring) {
    throw new UsageError("--sign needs --key NAME and --keyring FILE (a PGP secret keyring)");
  }
  const { key, keyring } = values;
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(keyring);
  } catch (error) {
    throw new SignatureError(`cannot read keyring ${keyring}: ${fileProblem(error)}`);
  }
  const passphrase = passwordFrom("HELM_KEY_PASSPHRASE", `"${key}"`);
  return (message) => signProvenance(message, bytes, keyring, key, passphrase);
}

export default define({
  name: "save",
  description: "Save a chart directory into the local cache",
  args: {
    dir: {
      type: "positional",
      required: false,
      description: "The chart directory (holding Chart.yaml)",
    },
    ref: {
      type: "positional",
      required: false,
      description:
        "Where to save it: registry/repository[:tag] (tag defaults to the chart version)",
    },
    sign: {
      type: "boolean",
      description: "Sign the package as helm package --sign does (a .prov, stored with the chart)",
    },
    key: { type: "string", description: "With --sign: the name of the PGP key to sign with" },
    keyring: {
      type: "string",
      description: "With --sign: the secret keyring holding it (gpg --export-secret-keys)",
    },
    "dependency-update": {
      type: "boolean",
      description: "Update charts/ from Chart.yaml's dependencies first (as helm package -u)",
    },
    ...transportArgs,
    ...reportArgs,
  },
  examples:
    "# save under a tag\n$ h3 chart save mychart/ localhost:5000/myrepo/mychart:latest\n\n" +
    "# tag = the chart's version ('+' becomes '_')\n$ h3 chart save mychart/ localhost:5000/myrepo/mychart\n\n" +
    "# a summary for scripts\n$ h3 chart save mychart/ localhost:5000/myrepo/mychart --output json\n\n" +
    "# signed with Helm provenance (passphrase: HELM_KEY_PASSPHRASE, else asked)\n" +
    "$ h3 chart save mychart/ localhost:5000/myrepo/mychart --sign --key 'CI Signer' --keyring secring.gpg",
  run: async (ctx) => {
    const { dir, ref } = ctx.values;
    if (dir === undefined) {
      throw new UsageError("missing DIR: give a chart directory and a chart reference");
    }
    if (ref === undefined) {
      throw new UsageError("missing REF: give a chart reference to save the chart as");
    }
    const { print, result: json } = reporter(ctx.values);
    const sign = await provenanceSigner(ctx.values);
    await using h3 = await openCommandClient(transportFlags(ctx.values));
    if (ctx.values["dependency-update"]) {
      const updated = await h3.updateDependencies(dir);
      for (const file of updated.downloaded) print(`Saved charts/${file}`);
    }
    const result = await h3.save(dir, ref, {
      onBlob: (desc, what) => print(savingLine(desc, what)),
      onOutsideLink: (path, target) =>
        printError(
          `found symbolic link in path: ${path} resolves to ${target}. ` +
            `Contents of linked file included and used`,
        ),
      sign,
    });
    print(chartSummary(result.meta, result));
    print(`${refLabel(result.ref)}: saved`);
    json({
      ref: formatReference(result.ref),
      status: "saved",
      name: result.meta.name,
      version: result.meta.version,
      digest: result.manifest.digest,
      meta: result.config.digest,
      content: result.content.digest,
      ...(result.provenance ? { provenance: result.provenance.digest } : {}),
    });
  },
});
