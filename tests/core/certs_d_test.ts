import assert from "node:assert/strict";
import { fixtureChart } from "../helpers/charts.ts";
import { expectCode, type Sandbox, sandbox } from "../helpers/cli.ts";
import { startRegistry } from "../helpers/registry.ts";
import { makeTls } from "../helpers/tls.ts";

/** The sandbox's own XDG config folder and system root: the machine's /etc is never read. */
function isolated(box: Sandbox): Record<string, string> {
  return { XDG_CONFIG_HOME: `${box.dir}/xdg`, H3_SYSTEM_CONFIG_ROOT: `${box.dir}/root` };
}

async function place(dir: string, files: Record<string, string>): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  for (const [name, source] of Object.entries(files)) await Deno.copyFile(source, `${dir}/${name}`);
}

/** A TLS registry with a private CA, a sandbox whose cache holds `ref`, and isolated folders. */
async function setup(mutualTls = false) {
  const tls = await makeTls();
  const registry = await startRegistry({
    tls: tls.server,
    clientCas: mutualTls ? [tls.ca] : undefined,
  });
  const box = await sandbox();
  const ref = `${registry.host}/certsd/mychart:1.0.0`;
  expectCode(await box.run(["chart", "save", fixtureChart, ref]), 0);
  return {
    tls,
    registry,
    box,
    env: isolated(box),
    ref,
    async [Symbol.asyncDispose]() {
      await box[Symbol.asyncDispose]();
      await registry[Symbol.asyncDispose]();
      await tls[Symbol.asyncDispose]();
    },
  };
}

Deno.test("certs.d: a private CA in the user's or the system's certs.d folder is trusted without --ca-file", async () => {
  await using world = await setup();
  const { tls, registry, box, env, ref } = world;
  const refused = expectCode(await box.run(["chart", "push", ref], { env }), 1);
  assert.match(refused.stderr, /certificate signed by an unknown authority/);

  const folders = [
    `${env.XDG_CONFIG_HOME}/containers/certs.d`,
    `${env.H3_SYSTEM_CONFIG_ROOT}/etc/containers/certs.d`,
    `${env.H3_SYSTEM_CONFIG_ROOT}/etc/docker/certs.d`,
  ];
  for (const root of folders) {
    await place(`${root}/${registry.host}`, { "ca.crt": tls.ca });
    expectCode(await box.run(["chart", "push", ref], { env }), 0);
    expectCode(await box.run(["chart", "remove", ref]), 0);
    expectCode(await box.run(["chart", "pull", ref], { env }), 0);
    const report = JSON.parse(
      expectCode(await box.run(["env", "-o", "json", "--registry", registry.host], { env }), 0)
        .stdout,
    ).registry;
    assert.equal(report.certsDir, `${root}/${registry.host}`);
    assert.deepEqual(report.caFiles, [`${root}/${registry.host}/ca.crt`]);
    assert.equal(report.scheme, "https"); // TLS files for a loopback host mean HTTPS
    await Deno.remove(`${root}/${registry.host}`, { recursive: true });
  }
  // Without XDG_CONFIG_HOME the user's folder is ~/.config/containers/certs.d.
  await place(`${box.dir}/.config/containers/certs.d/${registry.host}`, { "ca.crt": tls.ca });
  const home = { H3_SYSTEM_CONFIG_ROOT: env.H3_SYSTEM_CONFIG_ROOT, XDG_CONFIG_HOME: "" };
  expectCode(await box.run(["chart", "push", ref], { env: home }), 0);
});

Deno.test("certs.d: the first folder that exists is used alone, and --ca-file wins over it", async () => {
  await using world = await setup();
  const { tls, registry, box, env, ref } = world;
  // The user's folder holds the wrong CA: the system folder's right one is not consulted.
  await place(`${env.XDG_CONFIG_HOME}/containers/certs.d/${registry.host}`, {
    "wrong.crt": tls.untrusted.certificate,
  });
  await place(`${env.H3_SYSTEM_CONFIG_ROOT}/etc/containers/certs.d/${registry.host}`, {
    "ca.crt": tls.ca,
  });
  const wrong = expectCode(await box.run(["chart", "push", ref], { env }), 1);
  assert.match(wrong.stderr, /certificate signed by an unknown authority/);
  expectCode(await box.run(["chart", "push", ref, "--ca-file", tls.ca], { env }), 0);
});

Deno.test("certs.d: NAME.cert with NAME.key is the client certificate for mutual TLS", async () => {
  await using world = await setup(true);
  const { tls, registry, box, env, ref } = world;
  const dir = `${env.H3_SYSTEM_CONFIG_ROOT}/etc/docker/certs.d/${registry.host}`;
  await place(dir, { "ca.crt": tls.ca });
  expectCode(await box.run(["chart", "push", ref], { env }), 1); // no client certificate
  await place(dir, { "client.cert": tls.client.certificate });
  const missing = expectCode(await box.run(["chart", "push", ref], { env }), 2);
  assert.equal(
    missing.stderr,
    `Error: ${ref}: missing key client.key for client certificate client.cert in ${dir} ` +
      `(CA certificates end in .crt)\n`,
  );
  await place(dir, { "client.key": tls.client.key });
  expectCode(await box.run(["chart", "push", ref], { env }), 0);
  const vars = expectCode(await box.run(["env", "--registry", registry.host], { env }), 0).stdout;
  assert.match(vars, new RegExp(`^H3_CERT_FILE="${dir}/client.cert"$`, "m"));
  assert.match(vars, new RegExp(`^H3_KEY_FILE="${dir}/client.key"$`, "m"));
});
