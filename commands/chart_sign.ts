/** `h3 chart sign REF --key cosign.key`: sign a chart in its registry as cosign does. @module */
import { define } from "./_define.ts";
import { UsageError } from "./_errors.ts";
import { formatReference } from "../core/ref.ts";
import { passwordFrom } from "./_password.ts";
import { openCommandClient, transportArgs, transportFlags } from "./_transport_flags.ts";
import { reportArgs, reporter } from "./_output.ts";

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
    await using h3 = await openCommandClient(transportFlags(ctx.values));
    const result = await h3.sign(input, {
      key: keyFile,
      password: passwordFrom("COSIGN_PASSWORD", keyFile),
      bundle: ctx.values.bundle,
    });
    const { ref, subject } = result;
    const full = `${ref.registry}/${ref.repository}@${subject.digest}`;
    const signed = { ref: formatReference(ref), digest: subject.digest };
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
