/** `h3 chart sign REF --key cosign.key`: sign a chart in its registry as cosign does. @module */
import { define } from "gunshi/definition";
import { resolveReference } from "../core/chart/versions.ts";
import { UsageError } from "../core/errors.ts";
import { formatReference, parseReference } from "../core/ref.ts";
import { readSigningKey, signChart } from "../core/sign/sign.ts";
import { passwordFrom } from "./_password.ts";
import { debugEnabled, RegistryOpener, transportArgs, transportFlags } from "./_transport_flags.ts";
import { reportArgs, reporter } from "./_output.ts";
import { printError } from "./ui/safe_text.ts";

export default define({
  name: "sign",
  description: "Sign a chart in its registry with a cosign key",
  args: {
    ref: {
      type: "positional",
      description: "Chart: registry/repository[:tag][@digest] (no tag: the highest version)",
    },
    key: {
      type: "string",
      description: "cosign private key (cosign's encrypted PEM, or a PKCS#8 / EC PEM)",
    },
    bundle: {
      type: "boolean",
      description:
        "Store a Sigstore bundle referrer (cosign 3's default form) instead of a .sig tag",
    },
    ...transportArgs,
    ...reportArgs,
  },
  examples: [
    "# the password comes from COSIGN_PASSWORD, else it is asked for",
    "$ h3 chart sign localhost:5000/stable/mychart:2.7.0 --key cosign.key",
    "",
    "# as a Sigstore bundle referrer, the form cosign 3 writes by default",
    "$ h3 chart sign localhost:5000/stable/mychart:2.7.0 --key cosign.key --bundle",
  ].join("\n"),
  run: async (ctx) => {
    const out = reporter(ctx.values);
    const input = ctx.values.ref;
    if (!input) throw new UsageError("missing REF: give a chart reference");
    const keyFile = ctx.values.key;
    if (!keyFile) throw new UsageError("missing --key: give a cosign private key file");
    const key = await readSigningKey(keyFile, passwordFrom("COSIGN_PASSWORD", keyFile));
    const flags = transportFlags(ctx.values);
    const debug = debugEnabled() ? (line: string) => printError(line) : undefined;
    using opener = new RegistryOpener(flags, debug);
    const parsed = parseReference(input);
    const repository = (await opener.open(parsed)).expectPush();
    const ref = await resolveReference(parsed, repository);
    const desc = await repository.resolve(ref.digest ?? ref.tag!);
    const name = `${ref.registry}/${ref.repository}`;
    const full = `${name}@${desc.digest}`;
    const result = await signChart(repository, desc, name, key, { bundle: ctx.values.bundle });
    const signed = { ref: formatReference(ref), digest: desc.digest };
    if (result.form === "bundle") {
      out.print(`Signed ${signed.ref} (${full}): Sigstore bundle ${result.referrer.digest}`);
      out.result({ ...signed, status: "signed", form: "bundle", referrer: result.referrer.digest });
      return;
    }
    out.print(
      result.written
        ? `Signed ${signed.ref} (${full}): ${result.tag}`
        : `Already signed with this key: ${signed.ref} (${full})`,
    );
    out.result({
      ...signed,
      status: result.written ? "signed" : "exists",
      form: "sig",
      tag: result.tag,
      signature: result.layer.digest,
    });
  },
});
