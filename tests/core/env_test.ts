import assert from "node:assert/strict";
import { expectCode, sandbox } from "../helpers/cli.ts";

/** Parses `KEY="value"` lines (values are JSON strings). */
function parseEnvLines(stdout: string): Record<string, string> {
  return Object.fromEntries(
    stdout.trimEnd().split("\n").map((line) => {
      const match = line.match(/^([A-Z0-9_]+)=(".*")$/);
      assert.ok(match, `not a KEY="value" line: ${line}`);
      return [match[1], JSON.parse(match[2])];
    }),
  );
}

/** No proxy variables and no system certs.d, whatever the machine running the tests has. */
const noProxies = {
  ...Object.fromEntries(
    ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"].map((
      n,
    ) => [n, ""]),
  ),
  H3_SYSTEM_CONFIG_ROOT: "/nonexistent",
  XDG_CONFIG_HOME: "",
  CONTAINERS_REGISTRIES_CONF: "",
};

Deno.test('h3 env prints the paths h3 uses as KEY="value" lines', async () => {
  await using box = await sandbox();
  const vars = parseEnvLines(expectCode(await box.run(["env"], { env: noProxies }), 0).stdout);
  assert.deepEqual(vars, {
    HELM_HOME: box.helmHome,
    HELM_PLUGINS: `${box.helmHome}/plugins`,
    DOCKER_CONFIG: box.env.DOCKER_CONFIG,
    H3_CACHE_DIR: `${box.helmHome}/registry`,
    H3_CONFIG: `${box.helmHome}/config.yaml`,
    H3_DOCKER_CONFIG_FILE: `${box.env.DOCKER_CONFIG}/config.json`,
    H3_CONCURRENCY: "8",
    HTTP_PROXY: "",
    HTTPS_PROXY: "",
    NO_PROXY: "",
  });
  const moved = await box.run(["env"], {
    env: { HELM_PLUGINS: `${box.dir}/p`, H3_CONFIG: `${box.dir}/h3.yaml`, H3_CONCURRENCY: "3" },
  });
  const changed = parseEnvLines(expectCode(moved, 0).stdout);
  assert.equal(changed.HELM_PLUGINS, `${box.dir}/p`);
  assert.equal(changed.H3_CONFIG, `${box.dir}/h3.yaml`);
  assert.equal(changed.H3_CONCURRENCY, "3");
});

Deno.test("h3 env --output json has the documented shape", async () => {
  await using box = await sandbox();
  await Deno.mkdir(box.helmHome, { recursive: true });
  await Deno.writeTextFile(
    `${box.helmHome}/config.yaml`,
    "concurrency: 5\nregistries:\n  charts.internal:\n    plainHttp: true\n    caFile: ca.pem\n",
  );
  const plain = JSON.parse(
    expectCode(await box.run(["env", "-o", "json"], { env: noProxies }), 0).stdout,
  );
  assert.deepEqual(plain, {
    helmHome: box.helmHome,
    cacheDir: `${box.helmHome}/registry`,
    pluginsDir: `${box.helmHome}/plugins`,
    dockerConfigDir: box.env.DOCKER_CONFIG,
    dockerConfigFile: `${box.env.DOCKER_CONFIG}/config.json`,
    configFile: `${box.helmHome}/config.yaml`,
    concurrency: 5,
    httpProxy: null,
    httpsProxy: null,
    noProxy: null,
  });
  const args = ["env", "--output", "json", "--registry", "https://Charts.Internal:8443/v2/"];
  const withHost = JSON.parse(expectCode(await box.run(args, { env: noProxies }), 0).stdout);
  assert.deepEqual(withHost.registry, {
    host: "charts.internal:8443",
    credentialsStore: "none",
    credentialsFile: null,
    scheme: "http",
    plainHttp: true,
    caFile: `${box.helmHome}/ca.pem`,
    certsDir: null,
    caFiles: [],
    certFile: null,
    keyFile: null,
    insecureSkipTlsVerify: false,
    proxy: null,
    location: "charts.internal:8443",
    mirrors: [],
    blocked: false,
    registriesConf: null,
  });
  const scheme = async (host: string) => {
    const out = await box.run(["env", "-o", "json", "--registry", host]);
    const { registry } = JSON.parse(expectCode(out, 0).stdout);
    return [registry.scheme, registry.plainHttp];
  };
  assert.deepEqual(await scheme("localhost:5000"), ["http", null]); // loopback: HTTP, as Docker
  assert.deepEqual(await scheme("ghcr.io"), ["https", null]);
});

Deno.test("h3 env --registry names the credential store in force for that host", async () => {
  await using box = await sandbox();
  const dockerConfig = `${box.env.DOCKER_CONFIG}/config.json`;
  await Deno.mkdir(box.env.DOCKER_CONFIG, { recursive: true });
  await Deno.writeTextFile(
    dockerConfig,
    JSON.stringify({
      auths: { "localhost:5000": { auth: btoa("me:secret") }, "ghcr.io": {} },
      credsStore: "desktop",
      credHelpers: { "ghcr.io": "pass" },
    }),
  );
  const store = async (host: string, env: Record<string, string> = {}) => {
    const vars = parseEnvLines(
      expectCode(await box.run(["env", "--registry", host], { env }), 0).stdout,
    );
    return [vars.H3_REGISTRY, vars.H3_CREDENTIALS_STORE, vars.H3_CREDENTIALS_FILE];
  };
  assert.deepEqual(await store("ghcr.io"), ["ghcr.io", "pass", dockerConfig]);
  assert.deepEqual(await store("localhost:5000"), ["localhost:5000", "desktop", dockerConfig]);

  await Deno.writeTextFile(dockerConfig, JSON.stringify({ auths: { "localhost:5000": {} } }));
  assert.deepEqual(await store("localhost:5000"), ["localhost:5000", "file", dockerConfig]);
  const none = { HELM_REGISTRY_CONFIG: `${box.dir}/none.json`, XDG_RUNTIME_DIR: "" };
  assert.deepEqual(await store("localhost:5001", none), ["localhost:5001", "none", ""]);
  const helmFile = `${box.dir}/helm-registry.json`;
  await Deno.writeTextFile(helmFile, JSON.stringify({ auths: { "localhost:5001": {} } }));
  assert.deepEqual(
    await store("localhost:5001", { ...none, HELM_REGISTRY_CONFIG: helmFile }),
    ["localhost:5001", "file", helmFile],
  );
});

Deno.test("h3 env: a malformed config or a bad flag is one line and the right exit code", async () => {
  await using box = await sandbox();
  await Deno.mkdir(box.helmHome, { recursive: true });
  await Deno.writeTextFile(`${box.helmHome}/config.yaml`, "registries:\n  h:\n    plainHttp: 1\n");
  const broken = expectCode(await box.run(["env"]), 1);
  assert.equal(
    broken.stderr,
    `Error: invalid config ${box.helmHome}/config.yaml: "registries.h.plainHttp" must be true or false\n`,
  );
  assert.equal(broken.stdout, "");
  const badFormat = expectCode(await box.run(["env", "--output", "yaml"]), 2);
  assert.equal(badFormat.stderr, 'Error: invalid --output "yaml": use env or json\n');
});
