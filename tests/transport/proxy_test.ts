import assert from "node:assert/strict";
import { noProxyMatches, proxyFor, proxyFromEnv } from "../../core/transport/proxy.ts";
import { fixtureChart } from "../helpers/charts.ts";
import { expectCode, sandbox } from "../helpers/cli.ts";
import { startConnectProxy } from "../helpers/connect_proxy.ts";
import { startRegistry } from "../helpers/registry.ts";
import { makeTls } from "../helpers/tls.ts";

/** A name only the proxy can resolve: h3 reaches it through the proxy, or not at all. */
const farName = "registry.h3-proxy.test";
/** Deno itself would ask dl.deno.land for updates through the proxy. */
const quiet = { DENO_NO_UPDATE_CHECK: "1" };

Deno.test("NO_PROXY: hosts, domains, subdomains, ports, IPs and CIDR ranges, as Go reads it", () => {
  const cases: [string, string, string, boolean][] = [
    ["*", "any.example", "443", true],
    ["example.com", "example.com", "443", true],
    ["example.com", "a.b.example.com", "443", true],
    ["example.com", "notexample.com", "443", false],
    [".example.com", "a.example.com", "443", true],
    ["*.example.com", "a.example.com", "443", true],
    ["example.com:5000", "example.com", "5000", true],
    ["example.com:5000", "example.com", "443", false],
    ["10.0.0.0/8", "10.1.2.3", "443", true],
    ["10.0.0.0/8", "11.1.2.3", "443", false],
    ["fd00::/8", "fd12::1", "443", true],
    ["192.168.1.5", "192.168.1.5", "80", true],
    [" other.org , Example.COM ", "example.com", "443", true],
    ["", "example.com", "443", false],
  ];
  for (const [list, host, port, expected] of cases) {
    assert.equal(noProxyMatches(list, host, port), expected, `${list} / ${host}:${port}`);
  }
});

Deno.test("proxyFor: HTTPS_PROXY for https, HTTP_PROXY for http, never for loopback", () => {
  const env: Record<string, string> = {
    https_proxy: "proxy.corp:3128",
    HTTP_PROXY: "http://user:p%40ss@plain.corp:8080",
    no_proxy: "internal.corp",
  };
  const settings = proxyFromEnv((name) => env[name]);
  assert.deepEqual(settings, {
    httpProxy: env.HTTP_PROXY,
    httpsProxy: "proxy.corp:3128",
    noProxy: "internal.corp",
  });
  assert.equal(
    proxyFor(new URL("https://ghcr.io/v2/"), settings)?.url.href,
    "http://proxy.corp:3128/",
  );
  const plain = proxyFor(new URL("http://charts.example/v2/"), settings)!;
  assert.equal(plain.url.href, "http://plain.corp:8080/");
  assert.deepEqual(plain.basicAuth, { username: "user", password: "p@ss" });
  for (const direct of ["https://localhost:5000/", "https://127.0.0.9/", "https://[::1]:5000/"]) {
    assert.equal(proxyFor(new URL(direct), settings), undefined, direct);
  }
  assert.equal(proxyFor(new URL("https://a.internal.corp/"), settings), undefined);
  assert.throws(
    () => proxyFor(new URL("https://x.example/"), { httpsProxy: "socks5://p:1080" }),
    /invalid HTTPS_PROXY "socks5:\/\/p:1080": h3 speaks to http:\/\/ and https:\/\/ proxies/,
  );
});

Deno.test("HTTPS_PROXY: push and pull go through a CONNECT tunnel, with --ca-file and with --insecure-skip-tls-verify", async () => {
  await using tls = await makeTls([farName]);
  await using registry = await startRegistry({ tls: tls.server });
  await using proxy = startConnectProxy([farName]);
  await using box = await sandbox();
  const port = registry.host.split(":")[1];
  const env = { ...quiet, HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url, NO_PROXY: "" };
  const ref = `${farName}:${port}/proxied/mychart:1.0.0`;
  expectCode(await box.run(["chart", "save", fixtureChart, ref]), 0);
  // Deno's fetch with a private CA, then node:https without certificate checks (issue: it went
  // direct and failed on the name).
  for (const tlsFlags of [["--ca-file", tls.ca], ["--insecure-skip-tls-verify"]]) {
    proxy.seen.length = 0;
    expectCode(await box.run(["chart", "push", ref, ...tlsFlags], { env }), 0);
    expectCode(await box.run(["chart", "remove", ref]), 0);
    expectCode(await box.run(["chart", "pull", ref, ...tlsFlags], { env }), 0);
    assert.ok(proxy.seen.length > 0);
    assert.deepEqual(new Set(proxy.seen), new Set([`CONNECT ${farName}:${port}`]), tlsFlags[0]);
  }

  // NO_PROXY sends the request direct on both paths: the name does not resolve outside the proxy.
  for (const tlsFlags of [["--ca-file", tls.ca], ["--insecure-skip-tls-verify"]]) {
    proxy.seen.length = 0;
    const noProxy = { ...env, NO_PROXY: `.h3-proxy.test` };
    const direct = expectCode(
      await box.run(["chart", "pull", ref, ...tlsFlags], { env: noProxy }),
      1,
    );
    assert.match(direct.stderr, /unknown host|failed to lookup|connection to .* failed/);
    assert.deepEqual(proxy.seen, [], tlsFlags[0]);
  }
});

Deno.test("loopback registries are reached directly even with proxy variables set", async () => {
  await using tls = await makeTls();
  await using secure = await startRegistry({ tls: tls.server });
  await using plain = await startRegistry();
  await using proxy = startConnectProxy();
  await using box = await sandbox();
  const env = { ...quiet, HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url };
  const plainRef = `${plain.host}/direct/mychart:1.0.0`;
  expectCode(await box.run(["chart", "save", fixtureChart, plainRef]), 0);
  expectCode(await box.run(["chart", "push", plainRef], { env }), 0);
  const port = secure.host.split(":")[1];
  for (
    const [host, flags] of [
      [secure.host, ["--ca-file", tls.ca]],
      [`localhost:${port}`, ["--insecure-skip-tls-verify"]],
    ] as const
  ) {
    const ref = `${host}/direct/mychart:1.0.0`;
    expectCode(await box.run(["chart", "save", fixtureChart, ref]), 0);
    expectCode(await box.run(["chart", "push", ref, ...flags], { env }), 0);
  }
  assert.deepEqual(proxy.seen, []);
});

Deno.test("HTTP_PROXY carries plain-HTTP requests; h3 env shows the variables and the proxy in force", async () => {
  await using registry = await startRegistry();
  await using proxy = startConnectProxy([farName]);
  await using box = await sandbox();
  const port = registry.host.split(":")[1];
  const env = {
    ...quiet,
    HTTP_PROXY: proxy.url,
    HTTPS_PROXY: "http://me:secret@corp.example:3128",
    NO_PROXY: "internal.example",
  };
  const ref = `${farName}:${port}/plain/mychart:1.0.0`;
  expectCode(await box.run(["chart", "save", fixtureChart, ref]), 0);
  expectCode(await box.run(["chart", "push", ref, "--plain-http"], { env }), 0);
  assert.ok(proxy.seen.length > 0);
  assert.ok(
    proxy.seen.every((line) => line.includes(` http://${farName}:${port}/v2/`)),
    proxy.seen.join("\n"),
  );

  const report = async (host: string) =>
    JSON.parse(
      expectCode(await box.run(["env", "-o", "json", "--registry", host], { env }), 0).stdout,
    );
  const far = await report("ghcr.io");
  assert.equal(far.httpProxy, proxy.url);
  assert.equal(far.httpsProxy, "http://me:***@corp.example:3128");
  assert.equal(far.noProxy, "internal.example");
  assert.equal(far.registry.proxy, "http://corp.example:3128/");
  assert.equal((await report("charts.internal.example")).registry.proxy, null);
  assert.equal((await report("localhost:5000")).registry.proxy, null);
  const lines = expectCode(await box.run(["env"], { env }), 0).stdout;
  assert.match(lines, /^HTTPS_PROXY="http:\/\/me:\*\*\*@corp.example:3128"$/m);
  assert.doesNotMatch(lines, /secret/);
});
