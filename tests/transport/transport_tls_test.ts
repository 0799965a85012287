import assert from "node:assert/strict";
import { RegistryError, remedyOf } from "../../core/errors.ts";
import { connectRepository } from "../../core/transport/repository.ts";
import { fixtureChart } from "../helpers/charts.ts";
import { expectCode, sandbox } from "../helpers/cli.ts";
import { startRegistry } from "../helpers/registry.ts";
import { makeTls } from "../helpers/tls.ts";

/** HEAD of an absent tag: any answer from the registry (404) means the connection worked. */
async function reaches(ref: string, options: Parameters<typeof connectRepository>[1]) {
  using repo = connectRepository(ref, options);
  await assert.rejects(
    repo.resolve("absent"),
    (e) => e instanceof RegistryError && e.status === 404,
  );
}

Deno.test("a registry with a private CA is reached with --ca-file, by IP and by name", async () => {
  await using tls = await makeTls();
  await using registry = await startRegistry({ tls: tls.server });
  const port = registry.host.split(":")[1];
  await reaches(`${registry.host}/charts/demo`, { caFile: tls.ca });
  await reaches(`localhost:${port}/charts/demo`, { caFile: tls.ca });
});

Deno.test("without the CA, a TLS registry gives one clear line naming the host and --ca-file", async () => {
  await using tls = await makeTls();
  await using registry = await startRegistry({ tls: tls.server });
  // plainHttp undefined: loopback starts with HTTP, moves to HTTPS when the registry says so.
  for (const options of [{}, { plainHttp: false }]) {
    using repo = connectRepository(`${registry.host}/charts/demo`, options);
    await assert.rejects(repo.resolve("absent"), (error) => {
      assert.ok(error instanceof RegistryError);
      assert.equal(
        error.message,
        `TLS error talking to ${registry.host}: certificate signed by an unknown authority`,
      );
      // The library names no flag: the remedy is data (the CLI words it, naming --ca-file).
      assert.equal(error.remedy?.kind, "caFile");
      return true;
    });
  }
});

Deno.test("a certificate from another CA is refused, and accepted with --insecure-skip-tls-verify", async () => {
  await using tls = await makeTls();
  await using registry = await startRegistry({ tls: tls.untrusted });
  using strict = connectRepository(`${registry.host}/charts/demo`, { caFile: tls.ca });
  await assert.rejects(strict.resolve("absent"), (error) => {
    assert.match(String(error), /unknown authority/);
    assert.equal(remedyOf(error)?.kind, "caFile");
    return true;
  });
  await reaches(`${registry.host}/charts/demo`, { insecureSkipTlsVerify: true });
});

Deno.test("mutual TLS: the client certificate is presented with --cert-file and --key-file", async () => {
  await using tls = await makeTls();
  await using registry = await startRegistry({ tls: tls.server, clientCas: [tls.ca] });
  await reaches(`${registry.host}/charts/demo`, {
    caFile: tls.ca,
    certFile: tls.client.certificate,
    keyFile: tls.client.key,
  });
  using anonymous = connectRepository(`${registry.host}/charts/demo`, { caFile: tls.ca });
  await assert.rejects(anonymous.resolve("absent"), RegistryError);
});

Deno.test("a plain-HTTP registry spoken to over HTTPS says to pass --plain-http", async () => {
  await using registry = await startRegistry();
  using repo = connectRepository(`${registry.host}/charts/demo`, { plainHttp: false });
  await assert.rejects(repo.resolve("absent"), (error) => {
    assert.match(String(error), /does not speak HTTPS on this port$/);
    assert.equal(remedyOf(error)?.kind, "plainHttp");
    return true;
  });
  await using sb = await sandbox();
  const pulled = await sb.run(["chart", "pull", `${registry.host}/charts/demo:1.0.0`], {
    env: { H3_PLAIN_HTTP: "false" },
  });
  assert.match(pulled.stderr, /does not speak HTTPS on this port; pass --plain-http/);
});

Deno.test("h3 chart push/pull take --ca-file and --insecure-skip-tls-verify", async () => {
  await using tls = await makeTls();
  await using registry = await startRegistry({ tls: tls.server });
  await using sb = await sandbox();
  const ref = `${registry.host}/secure/mychart:1.0.0`;
  expectCode(await sb.run(["chart", "save", fixtureChart, ref]), 0);
  const refused = expectCode(await sb.run(["chart", "push", ref]), 1);
  assert.match(refused.stderr, /^Error: .*TLS error talking to .*unknown authority.*--ca-file/);
  expectCode(await sb.run(["chart", "push", ref, "--ca-file", tls.ca]), 0);
  expectCode(await sb.run(["chart", "remove", ref]), 0);
  const pulled = expectCode(await sb.run(["chart", "pull", ref, "--insecure-skip-tls-verify"]), 0);
  assert.match(pulled.stdout, /^Status: Downloaded newer chart for /m);
});
