/** `h3 repo import INDEX_URL REGISTRY/NAMESPACE`: a classic chart repository moved to OCI. @module */
import { define } from "./_define.ts";
import { replaceFile } from "../core/write_file.ts";
import { PartialFailure } from "../core/errors.ts";
import { describeError, UsageError } from "./_errors.ts";
import { parseReference } from "../core/ref.ts";
import type { ImportResult } from "../core/repo/import.ts";
import { ociIndexYaml } from "../core/repo/index_yaml.ts";
import { reportArgs, reporter } from "./_output.ts";
import { openCommandClient, transportArgs, transportFlags } from "./_transport_flags.ts";

function resultLine(result: ImportResult): string {
  switch (result.status) {
    case "pushed":
      return `${result.entry.name} ${result.entry.version}: pushed ${result.ref} (${result.digest}` +
        `${result.provenance ? ", with provenance" : ""}` +
        `${result.signedBy ? `, signed by ${result.signedBy}` : ""})`;
    case "exists":
      return `${result.entry.name} ${result.entry.version}: already in ${result.ref}`;
    case "failed":
      return `Error: ${result.name} ${result.version}: ${describeError(result.error)}`;
  }
}

export default define({
  name: "import",
  description: "Push every chart of a classic repository (index.yaml) to an OCI registry",
  args: {
    index: {
      type: "positional",
      description: "The repository: its URL or its index.yaml's (http or https)",
    },
    namespace: {
      type: "positional",
      description: "Where charts go: registry/namespace (each chart to registry/namespace/NAME)",
    },
    chart: { type: "string", description: "Only this chart" },
    version: {
      type: "string",
      description: "Only versions in this SemVer range (e.g. '>=1.0.0, <2.0.0')",
    },
    devel: { type: "boolean", description: "With --version: pre-releases count too" },
    "index-out": {
      type: "string",
      description: "Write an index.yaml whose urls point at the oci:// charts",
    },
    "repo-username": {
      type: "string",
      description: "User name for the classic repository (default: Helm's repositories.yaml)",
    },
    "repo-password": { type: "string", description: "Password for --repo-username" },
    "repo-ca-file": {
      type: "string",
      description: "Trust this PEM CA certificate for the classic repository",
    },
    "repo-cert-file": {
      type: "string",
      description: "Client certificate (PEM) for the classic repository",
    },
    "repo-key-file": { type: "string", description: "Private key (PEM) of --repo-cert-file" },
    "repo-insecure-skip-tls-verify": {
      type: "boolean",
      description: "Accept any certificate from the classic repository (unsafe)",
    },
    "repository-config": {
      type: "string",
      description:
        "Helm's repositories file, for @NAME and stored credentials (default: $HELM_REPOSITORY_CONFIG, else Helm's)",
    },
    "pass-credentials": {
      type: "boolean",
      description: "Send the repository's credentials to chart URLs on other hosts too (as Helm's)",
    },
    verify: {
      type: "boolean",
      description: "Import only versions whose .prov is signed by a key of --keyring",
    },
    keyring: { type: "string", description: "PGP keyring (gpg --export) for --verify" },
    ...transportArgs,
    ...reportArgs,
  },
  examples: [
    "$ h3 repo import https://charts.example.com localhost:5000/charts",
    "",
    "# one chart, the 1.x versions; a re-run pushes only what is missing",
    "$ h3 repo import https://charts.example.com/index.yaml localhost:5000/charts --chart app --version '^1'",
    "",
    "# a repository Helm knows by name (credentials and TLS from its repositories.yaml)",
    "$ h3 repo import @stable localhost:5000/charts",
    "",
    "# credentials and a private CA for the classic repository; registry logins stay separate",
    "$ h3 repo import https://charts.example.com localhost:5000/charts --repo-username me \\",
    '    --repo-password "$PW" --repo-ca-file ca.pem',
    "",
    "# only charts whose .prov verifies (the others are listed as failed)",
    "$ h3 repo import https://charts.example.com localhost:5000/charts --verify --keyring pubring.gpg",
    "",
    "# and an index.yaml for clients that still read one",
    "$ h3 repo import https://charts.example.com localhost:5000/charts --index-out oci-index.yaml",
  ].join("\n"),
  run: async (ctx) => {
    const { index, namespace: target, chart, version, devel } = ctx.values;
    if (!index || !target) {
      throw new UsageError("missing INDEX_URL or REGISTRY/NAMESPACE: give both");
    }
    const namespace = parseReference(target);
    if (namespace.tag || namespace.digest) {
      throw new UsageError(`${target}: give a registry namespace without a tag or digest`);
    }
    const values = ctx.values;
    if ((values.verify === true) !== (values.keyring !== undefined)) {
      throw new UsageError(
        values.verify ? "--verify needs --keyring FILE" : "--keyring needs --verify",
      );
    }
    if ((values["repo-username"] === undefined) !== (values["repo-password"] === undefined)) {
      throw new UsageError("--repo-username and --repo-password go together");
    }
    const given = {
      username: values["repo-username"],
      password: values["repo-password"],
      caFile: values["repo-ca-file"],
      certFile: values["repo-cert-file"],
      keyFile: values["repo-key-file"],
      insecureSkipTlsVerify: values["repo-insecure-skip-tls-verify"],
      passCredentialsAll: values["pass-credentials"],
    };
    const access = Object.values(given).some((v) => v !== undefined) ? given : undefined;
    const out = reporter(ctx.values);
    await using h3 = await openCommandClient(transportFlags(ctx.values));
    const summary = await h3.importRepo(index, target, {
      chart,
      version,
      devel,
      access,
      repositoryConfig: values["repository-config"],
      keyring: values.keyring,
      onResult: (result) =>
        result.status === "failed"
          ? console.error(resultLine(result))
          : out.print(resultLine(result)),
    });
    const indexOut = ctx.values["index-out"];
    if (indexOut) {
      await replaceFile(indexOut, await ociIndexYaml(summary));
    }
    out.result({
      results: summary.results.map((r) =>
        r.status === "failed"
          ? { name: r.name, version: r.version, status: r.status, error: describeError(r.error) }
          : {
            name: r.entry.name,
            version: r.entry.version,
            status: r.status,
            ref: r.ref,
            ...(r.status === "pushed"
              ? {
                digest: r.digest,
                provenance: r.provenance,
                ...(r.signedBy ? { signedBy: r.signedBy } : {}),
              }
              : {}),
          }
      ),
      pushed: summary.pushed,
      existing: summary.existing,
      failed: summary.failed,
    });
    out.print(
      `Imported ${summary.pushed} chart version${summary.pushed === 1 ? "" : "s"}, ` +
        `${summary.existing} already there, ${summary.failed} failed`,
    );
    if (summary.failed) {
      const failed = summary.results.flatMap((r) =>
        r.status === "failed" ? [`${r.name} ${r.version}`] : []
      );
      throw new PartialFailure(
        `${summary.failed} of ${summary.results.length} chart versions failed to import: ` +
          failed.join(", "),
      );
    }
  },
});
