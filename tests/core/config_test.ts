import assert from "node:assert/strict";
import {
  type Config,
  defaultConcurrency,
  loadConfig,
  parseConfig,
  resolveTransport,
} from "../../core/config.ts";
import { H3Error, SettingError } from "../../core/errors.ts";

const path = "/home/u/.helm/config.yaml";
const noEnv = () => undefined;
const env = (vars: Record<string, string>) => (name: string) => vars[name];

const sample = `
concurrency: 4
registries:
  registry.internal:5000:
    plainHttp: true
  charts.example.com:
    caFile: certs/ca.pem
    certFile: /etc/h3/client.pem
    keyFile: /etc/h3/client-key.pem
  Charts.Example.com:8443:
    insecureSkipTlsVerify: true
`;

Deno.test("a missing config file is an empty config: h3's defaults apply", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const config = await loadConfig(`${dir}/config.yaml`);
    assert.deepEqual(config, { path: `${dir}/config.yaml`, registries: {} });
    assert.deepEqual(resolveTransport("localhost:5000", {}, config, noEnv), {
      plainHttp: undefined,
      caFile: undefined,
      certFile: undefined,
      keyFile: undefined,
      insecureSkipTlsVerify: false,
      concurrency: defaultConcurrency,
      timeoutMs: 60_000,
      proxy: { httpProxy: undefined, httpsProxy: undefined, noProxy: undefined },
      maxRetryAfterMs: 60_000,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("per-host settings: host:port first, then the bare host; names are case-blind", async () => {
  const config = await parseConfig(sample, path);
  assert.equal(resolveTransport("registry.internal:5000", {}, config, noEnv).plainHttp, true);
  assert.equal(resolveTransport("registry.internal:5001", {}, config, noEnv).plainHttp, undefined);
  const tls = resolveTransport("charts.example.com:443", {}, config, noEnv);
  assert.equal(tls.caFile, "/home/u/.helm/certs/ca.pem"); // relative to the config's folder
  assert.equal(tls.certFile, "/etc/h3/client.pem");
  assert.equal(tls.insecureSkipTlsVerify, false);
  const exact = resolveTransport("CHARTS.example.com:8443", {}, config, noEnv);
  assert.equal(exact.insecureSkipTlsVerify, true);
  assert.equal(exact.caFile, undefined); // the host:port entry wins whole, not merged
});

Deno.test("precedence: flags over environment over config over defaults", async () => {
  const config = await parseConfig(sample, path);
  const host = "registry.internal:5000";
  assert.equal(resolveTransport(host, {}, config, noEnv).concurrency, 4);
  const fromEnv = env({ H3_CONCURRENCY: "2", H3_PLAIN_HTTP: "false", H3_CA_FILE: "/env/ca.pem" });
  const byEnv = resolveTransport(host, {}, config, fromEnv);
  assert.deepEqual([byEnv.concurrency, byEnv.plainHttp, byEnv.caFile], [2, false, "/env/ca.pem"]);
  const byFlags = resolveTransport(
    host,
    { concurrency: 16, plainHttp: true, caFile: "/flag/ca.pem" },
    config,
    fromEnv,
  );
  assert.deepEqual([byFlags.concurrency, byFlags.plainHttp, byFlags.caFile], [
    16,
    true,
    "/flag/ca.pem",
  ]);
  const empty: Config = { path, registries: {} };
  assert.equal(resolveTransport(host, {}, empty, env({ H3_CONCURRENCY: "" })).concurrency, 8);
});

Deno.test("bad environment values are setting errors naming the variable and its value", () => {
  const config: Config = { path, registries: {} };
  assert.throws(
    () => resolveTransport("h", {}, config, env({ H3_CONCURRENCY: "many" })),
    (e) =>
      e instanceof SettingError && e.setting === "H3_CONCURRENCY" && e.value === "many" &&
      /^invalid H3_CONCURRENCY "many": must be a whole/.test(e.message),
  );
  assert.throws(
    () => resolveTransport("h", {}, config, env({ H3_INSECURE_SKIP_TLS_VERIFY: "maybe" })),
    { message: 'invalid H3_INSECURE_SKIP_TLS_VERIFY "maybe": use true or false' },
  );
});

Deno.test("a client certificate needs its key, wherever each came from", async () => {
  const config = await parseConfig("registries:\n  h:5000:\n    certFile: /c.pem\n", path);
  assert.throws(
    () => resolveTransport("h:5000", {}, config, noEnv),
    (e) =>
      e instanceof SettingError && e.setting === "keyFile" &&
      e.message === "a client certificate for h:5000 needs both a cert file and a key file " +
          `(certFile and keyFile, or certFile and keyFile in ${path})`,
  );
  const both = resolveTransport("h:5000", { keyFile: "/k.pem" }, config, noEnv);
  assert.deepEqual([both.certFile, both.keyFile], ["/c.pem", "/k.pem"]);
});

Deno.test("a malformed config is one line naming the file and the key", async () => {
  const cases: [string, string][] = [
    ["concurrency: [", `invalid config ${path}: `],
    ["- a\n- b\n", `invalid config ${path}: must be a mapping of settings`],
    [
      "concurency: 4\n",
      `invalid config ${path}: "concurency" is not a setting; did you mean "concurrency"?`,
    ],
    [
      "concurrency: 0\n",
      `invalid config ${path}: "concurrency" must be a whole number from 1 to 256`,
    ],
    [
      "registries: [a]\n",
      `invalid config ${path}: "registries" must be a mapping of registry hosts`,
    ],
    [
      "registries:\n  localhost:5000:\n    plainHtp: true\n",
      `invalid config ${path}: "registries.localhost:5000.plainHtp" is not a setting; did you mean "plainHttp"?`,
    ],
    [
      "registries:\n  localhost:5000:\n    plainHttp: yes please\n",
      `invalid config ${path}: "registries.localhost:5000.plainHttp" must be true or false`,
    ],
    [
      "registries:\n  h:\n    caFile: 3\n",
      `invalid config ${path}: "registries.h.caFile" must be a file name`,
    ],
  ];
  for (const [text, message] of cases) {
    await assert.rejects(parseConfig(text, path), (e) => {
      assert.ok(e instanceof H3Error);
      assert.ok(e.message.startsWith(message), `${JSON.stringify(text)}: ${e.message}`);
      assert.ok(!e.message.includes("\n"), e.message);
      return true;
    });
  }
});

Deno.test("an empty file or empty sections are fine", async () => {
  assert.deepEqual(await parseConfig("", path), { path, registries: {} });
  assert.deepEqual(await parseConfig("registries:\n  h:\n", path), { path, registries: {} });
});

Deno.test("the idle timeout: --timeout over H3_TIMEOUT over the config's timeout over 60 s", async () => {
  const config = await parseConfig("timeout: 30\n", path);
  assert.equal(resolveTransport("h", {}, { path, registries: {} }, noEnv).timeoutMs, 60_000);
  assert.equal(resolveTransport("h", {}, config, noEnv).timeoutMs, 30_000);
  assert.equal(resolveTransport("h", {}, config, env({ H3_TIMEOUT: "1.5" })).timeoutMs, 1500);
  assert.equal(
    resolveTransport("h", { timeoutMs: 2000 }, config, env({ H3_TIMEOUT: "5" })).timeoutMs,
    2000,
  );
  assert.throws(() => resolveTransport("h", {}, config, env({ H3_TIMEOUT: "0" })), {
    message: 'invalid H3_TIMEOUT "0": must be a number of seconds above 0, at most 3600',
  });
  await assert.rejects(parseConfig("timeout: soon\n", path), {
    message: `invalid config ${path}: "timeout" must be a number of seconds above 0, at most 3600`,
  });
});
