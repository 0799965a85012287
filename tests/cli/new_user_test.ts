/**
 * What a new user tripped on (issue 13): usage errors that are usage errors, hints for near
 * misses, one rule for untagged references, and honest push results.
 */
import assert from "node:assert/strict";
import { fixtureChart } from "../helpers/charts.ts";
import { expectCode, type RunResult, sandbox } from "../helpers/cli.ts";
import { startFaultProxy } from "../helpers/fault_proxy.ts";
import { makeTls } from "../helpers/tls.ts";
import { startRegistry } from "../helpers/registry.ts";

/** The run failed with exit `code` and exactly one stderr line, which it returns. */
function oneLine(result: RunResult, code: number): string {
  expectCode(result, code);
  const lines = result.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, result.stderr);
  assert.equal(result.stdout, "");
  return lines[0];
}

Deno.test("stray arguments and bad references exit 2 with one line", async () => {
  await using box = await sandbox();
  const stray: [string[], string][] = [
    [["env", "extra"], 'Error: unexpected argument "extra" for "h3 env"'],
    [["chart", "prune", "extra"], 'Error: unexpected argument "extra" for "h3 chart prune"'],
    [
      ["chart", "list", "localhost:5000/team/webapp"],
      'Error: unexpected argument "localhost:5000/team/webapp" for "h3 chart list"',
    ],
    [
      ["chart", "save", fixtureChart, "localhost:5000/a/b", "more"],
      'Error: unexpected argument "more" for "h3 chart save"',
    ],
  ];
  for (const [args, start] of stray) {
    assert.ok(oneLine(await box.run(args), 2).startsWith(start), args.join(" "));
  }
  for (
    const args of [
      ["chart", "save", fixtureChart, "localhost:5000/Team/webapp"],
      ["chart", "push", "localhost:5000//webapp"],
      ["chart", "pull", "localhost:5000/team/webapp:bad!tag"],
      ["chart", "export", "localhost:5000/team/webapp@sha256:abc"],
      ["chart", "remove", "localhost:5000/Team/x"],
    ]
  ) {
    assert.match(oneLine(await box.run(args), 2), /^Error: invalid reference /, args.join(" "));
  }
});

Deno.test("a missing REF is worded alike for save and push", async () => {
  await using box = await sandbox();
  assert.equal(
    oneLine(await box.run(["chart", "save", fixtureChart]), 2),
    "Error: missing REF: give a chart reference to save the chart as",
  );
  assert.equal(
    oneLine(await box.run(["chart", "push"]), 2),
    "Error: missing REF: give at least one chart reference",
  );
  assert.equal(
    oneLine(await box.run(["chart", "save"]), 2),
    "Error: missing DIR: give a chart directory and a chart reference",
  );
});

Deno.test("a missing argument, a flag without its value or of the wrong type, a bare registry: one line, exit 2", async () => {
  await using box = await sandbox();
  const cases: [string[], string][] = [
    [
      ["chart", "copy", "localhost:5000/team/webapp:1.0.0"],
      'Error: missing DST; run "h3 chart copy --help" for its usage',
    ],
    [["env", "--registry"], 'Error: --registry needs a value; run "h3 env --help" for its usage'],
    [
      ["chart", "pull", "localhost:5000/team/webapp", "--timeout", "soon"],
      'Error: invalid --timeout "soon": not a number',
    ],
    [
      ["chart", "push", "localhost:5000"],
      'Error: invalid reference "localhost:5000": that names a registry, not a chart; add the ' +
      "repository (e.g. localhost:5000/team/mychart[:TAG])",
    ],
  ];
  for (const [args, line] of cases) assert.equal(oneLine(await box.run(args), 2), line);
});

Deno.test("a key file that cannot be read: one line saying why, without the OS's error tail", async () => {
  await using box = await sandbox();
  const verify = ["chart", "verify", "localhost:5000/team/webapp:1.0.0", "--key", "nothere.pub"];
  assert.equal(
    oneLine(await box.run(verify), 1),
    "Error: cannot read key nothere.pub: no such file",
  );
  const sign = ["chart", "sign", "localhost:5000/team/webapp:1.0.0", "--key", "."];
  assert.equal(oneLine(await box.run(sign), 1), "Error: cannot read key .: is a directory");
});

Deno.test("a plugin URL nobody answers at: one line naming the host and why", async () => {
  await using box = await sandbox();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closed = `127.0.0.1:${listener.addr.port}`; // nothing listens there once closed
  listener.close();
  assert.equal(
    oneLine(await box.run(["plugin", "add", `http://${closed}/greet.ts`]), 1),
    `Error: cannot download plugin http://${closed}/greet.ts: cannot connect to ${closed}: ` +
      "connection refused",
  );
});

Deno.test("near misses get a hint: a directory to push, a URL for a reference", async () => {
  await using box = await sandbox();
  await Deno.mkdir(`${box.dir}/webapp`);
  await Deno.copyFile(`${fixtureChart}/Chart.yaml`, `${box.dir}/webapp/Chart.yaml`);
  assert.equal(
    oneLine(await box.run(["chart", "push", "webapp/", "oci://localhost:5000/team"]), 2),
    'Error: "webapp/" is a directory, not a cached chart: run "h3 chart save webapp/ REF" and ' +
      'then "h3 chart push REF", or push a packaged chart (CHART.tgz oci://REGISTRY/NAMESPACE)',
  );
  assert.equal(
    oneLine(await box.run(["chart", "pull", "http://localhost:5000/team/webapp:1.0.0"]), 2),
    'Error: invalid reference "http://localhost:5000/team/webapp:1.0.0": drop the "http://" ' +
      "(references are registry/repository[:tag]; add --plain-http for a registry without TLS)",
  );
  assert.match(
    oneLine(await box.run(["chart", "tags", "https://ghcr.io/org/chart"]), 2),
    /drop the "https:\/\/" \(references are registry\/repository\[:tag\]\)$/,
  );
});

Deno.test("untagged push: the only cached tag, else the highest version, else the tags to pick from", async () => {
  await using registry = await startRegistry();
  await using box = await sandbox();
  const repo = `${registry.host}/team/webapp`;
  expectCode(await box.run(["chart", "save", fixtureChart, repo]), 0); // tag 2.7.0
  const pushed = expectCode(await box.run(["chart", "push", repo, "--plain-http"]), 0);
  assert.match(pushed.stdout, /^2\.7\.0: pushed to remote \(2 layers, .* total\)$/m);

  expectCode(await box.run(["chart", "save", fixtureChart, `${repo}:2.10.0`]), 0);
  expectCode(await box.run(["chart", "save", fixtureChart, `${repo}:latest`]), 0);
  const highest = expectCode(await box.run(["chart", "push", repo, "--plain-http"]), 0);
  assert.match(highest.stdout, /^2\.10\.0: pushed to remote/m);

  const other = `${registry.host}/team/other`;
  expectCode(await box.run(["chart", "save", fixtureChart, `${other}:dev`]), 0);
  expectCode(await box.run(["chart", "save", fixtureChart, `${other}:stable`]), 0);
  assert.equal(
    oneLine(await box.run(["chart", "push", other, "--plain-http"]), 1),
    `Error: ${other}: 2 charts in the cache and no stable version among them to pick; ` +
      "name the tag: dev, stable",
  );
  assert.equal(
    oneLine(await box.run(["chart", "push", `${registry.host}/team/none`, "--plain-http"]), 1),
    `Error: chart "${registry.host}/team/none" not found in the cache`,
  );
});

Deno.test("--plain-http with --insecure-skip-tls-verify reaches a plain-HTTP registry", async () => {
  await using registry = await startRegistry();
  await using box = await sandbox();
  const ref = `${registry.host}/team/webapp:1.0.0`;
  expectCode(await box.run(["chart", "save", fixtureChart, ref]), 0);
  const flags = ["--plain-http", "--insecure-skip-tls-verify"];
  const pushed = expectCode(await box.run(["chart", "push", ref, ...flags]), 0);
  assert.match(pushed.stdout, /^1\.0\.0: pushed to remote/m);
  expectCode(await box.run(["chart", "remove", ref]), 0);
  expectCode(await box.run(["chart", "pull", ref, ...flags, "--quiet"]), 0);
});

Deno.test("an unchanged push says the chart was there already, in text and JSON", async () => {
  await using registry = await startRegistry();
  await using box = await sandbox();
  const ref = `${registry.host}/team/webapp:1.0.0`;
  expectCode(await box.run(["chart", "save", fixtureChart, ref]), 0);
  const first = expectCode(await box.run(["chart", "push", ref, "--plain-http", "-o", "json"]), 0);
  const [sent] = JSON.parse(first.stdout);
  assert.equal(sent.status, "pushed");
  assert.equal(sent.sent.length, 2);
  const again = expectCode(await box.run(["chart", "push", ref, "--plain-http"]), 0);
  assert.match(again.stdout, /^1\.0\.0: already on remote, nothing pushed \(2 layers, .*\)$/m);
  assert.doesNotMatch(again.stdout, /pushed to remote/);
  const json = expectCode(await box.run(["chart", "push", ref, "--plain-http", "-o", "json"]), 0);
  const [report] = JSON.parse(json.stdout);
  assert.equal(report.status, "exists");
  assert.deepEqual(report.sent, []);
});

Deno.test("a chart not in the registry is named once", async () => {
  await using registry = await startRegistry();
  await using box = await sandbox();
  const ref = `oci://${registry.host}/team/webapp:9.9.9`;
  const result = expectCode(await box.run(["chart", "pull", ref, "--plain-http"]), 1);
  const line = result.stderr.trimEnd();
  assert.match(line, /^Error: [^\n]*not found/);
  assert.equal(line.split(`${registry.host}/team/webapp`).length - 1, 1, line);
});

Deno.test("chart verify reports an interrupted write's temp file with its size; prune removes one", async () => {
  await using box = await sandbox();
  expectCode(await box.run(["chart", "save", fixtureChart, "localhost:5000/team/webapp"]), 0);
  const temp = `${box.helmHome}/registry/.tmp/999999999-pull`; // a pid no process has
  await Deno.writeFile(temp, new Uint8Array(3 * 1024 * 1024));
  const verified = expectCode(await box.run(["chart", "verify"]), 0);
  assert.match(
    verified.stdout,
    /^\.tmp\/999999999-pull: left by an interrupted write \(3 MiB\); removed$/m,
  );
  await Deno.writeFile(temp, new Uint8Array(1024));
  const json = expectCode(await box.run(["chart", "verify", "-o", "json"]), 0);
  assert.deepEqual(JSON.parse(json.stdout).staleTemps, [
    { file: ".tmp/999999999-pull", size: 1024, removed: true },
  ]);
  await Deno.writeFile(temp, new Uint8Array(2048));
  const pruned = expectCode(await box.run(["chart", "prune"]), 0);
  assert.equal(pruned.stdout, "Deleted 0 blobs and 1 temp file, reclaimed 2 KiB\n");
  await assert.rejects(() => Deno.stat(temp), Deno.errors.NotFound);
});

/** A registry that answers DIGEST_INVALID to the first `times` manifest PUTs. */
async function digestInvalidRegistry(times: number) {
  const registry = await startRegistry();
  let refused = 0;
  const proxy = startFaultProxy(registry.url, ({ request, url }) => {
    if (request.method !== "PUT" || !url.pathname.includes("/manifests/")) return undefined;
    if (refused++ >= times) return undefined;
    return Response.json({
      errors: [{
        code: "DIGEST_INVALID",
        message: "provided digest did not match uploaded content",
      }],
    }, { status: 400 });
  });
  return {
    proxy,
    async [Symbol.asyncDispose]() {
      await proxy[Symbol.asyncDispose]();
      await registry[Symbol.asyncDispose]();
    },
  };
}

Deno.test("a manifest PUT refused with DIGEST_INVALID is tried again, its blobs checked, 4 times at most", async () => {
  await using box = await sandbox();
  {
    await using once = await digestInvalidRegistry(1);
    const ref = `${once.proxy.host}/team/webapp:1.0.0`;
    expectCode(await box.run(["chart", "save", fixtureChart, ref]), 0);
    const pushed = expectCode(await box.run(["chart", "push", ref]), 0);
    assert.match(pushed.stdout, /^1\.0\.0: pushed to remote/m);
    const puts = once.proxy.log.filter((r) => r.method === "PUT" && r.path.includes("/manifests/"));
    assert.equal(puts.length, 2);
    // Between the refused PUT and the retry, both blobs (config and content) are checked.
    const log = once.proxy.log;
    const [first, second] = puts.map((put) => log.indexOf(put));
    const checked = log.slice(first, second).filter((r) =>
      r.method === "HEAD" && r.path.includes("/blobs/")
    );
    assert.equal(checked.length, 2);
  }
  {
    await using always = await digestInvalidRegistry(10);
    const ref = `${always.proxy.host}/team/webapp:1.0.0`;
    expectCode(await box.run(["chart", "save", fixtureChart, ref]), 0);
    const failed = expectCode(await box.run(["chart", "push", ref]), 1);
    assert.match(failed.stderr, /^Error: .*DIGEST_INVALID.*\n$/);
    const puts = always.proxy.log.filter((r) =>
      r.method === "PUT" && r.path.includes("/manifests/")
    );
    assert.equal(puts.length, 4, "tried 4 times in all, not more");
  }
});

Deno.test("TLS files given at login are remembered for that registry and used from then on", async () => {
  await using tls = await makeTls();
  await using registry = await startRegistry({ tls: tls.server, clientCas: [tls.ca] });
  await using box = await sandbox();
  const host = registry.host;
  const ref = `${host}/team/webapp:2.7.0`;
  expectCode(await box.run(["chart", "save", fixtureChart, ref]), 0);
  // Before: loopback means plain HTTP, and without the CA nothing works.
  const before = JSON.parse(
    expectCode(await box.run(["env", "--registry", host, "-o", "json"]), 0).stdout,
  );
  assert.equal(before.registry.scheme, "http");
  expectCode(await box.run(["chart", "push", ref]), 1);

  const tlsFlags = [
    "--ca-file",
    tls.ca,
    "--cert-file",
    tls.client.certificate,
    "--key-file",
    tls.client.key,
  ];
  const login = await box.run(
    ["registry", "login", host, "-u", "alice", "--password-stdin", ...tlsFlags],
    { stdin: "secret" },
  );
  assert.equal(expectCode(login, 0).stdout, "Login succeeded\n");
  const config = await Deno.readTextFile(`${box.helmHome}/config.yaml`);
  assert.match(config, new RegExp(`caFile: ${tls.ca.replaceAll(".", "\\.")}`));

  const pushed = expectCode(await box.run(["chart", "push", ref]), 0);
  assert.match(pushed.stdout, /^2\.7\.0: pushed to remote/m);
  expectCode(await box.run(["chart", "tags", `${host}/team/webapp`]), 0);
  expectCode(await box.run(["chart", "remove", ref]), 0);
  expectCode(await box.run(["chart", "pull", ref]), 0);
  const after = JSON.parse(
    expectCode(await box.run(["env", "--registry", host, "-o", "json"]), 0).stdout,
  );
  assert.equal(after.registry.scheme, "https");
  assert.equal(after.registry.caFile, tls.ca);
  assert.equal(after.registry.certFile, tls.client.certificate);
  const text = expectCode(await box.run(["env", "--registry", host]), 0).stdout;
  assert.match(text, /^H3_SCHEME="https"$/m);
});
