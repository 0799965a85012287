/**
 * Security, a hostile registry steering writes or exhausting h3 (issue #20, items 1-4): tag names
 * it lists are validated before any URL is built from them, every body read into memory is
 * capped (token responses, tag pages, error bodies), every request has an idle timeout and an
 * overall deadline (token requests included), and endless tag pagination is stopped.
 */
import assert from "node:assert/strict";
import { expectCode, sandbox } from "../helpers/cli.ts";
import { startFaultProxy } from "../helpers/fault_proxy.ts";
import {
  bearerChallenge,
  drip,
  endless,
  never,
  runBounded,
  serveChart,
  startHostile,
} from "../helpers/hostile.ts";
import { startRegistry } from "../helpers/registry.ts";
import { rawChart, rawPush } from "../helpers/reliability.ts";

const json = (value: unknown, init: ResponseInit = {}) =>
  new Response(JSON.stringify(value), {
    ...init,
    headers: { "content-type": "application/json", ...init.headers },
  });

Deno.test("1: copy --all-tags skips a tag that is a path, with one warning, and writes nowhere else", async () => {
  await using source = await startRegistry();
  await using destination = await startRegistry();
  await using box = await sandbox();
  await rawPush(source.url, "src/app", "1.0.0", await rawChart("app"));
  await rawPush(source.url, "victim/app", "latest", await rawChart("evil", "6.6.6"));
  const victim = await rawPush(destination.url, "victim/app", "latest", await rawChart("good"));
  const evil = "../../../victim/app/manifests/latest";
  await using proxy = startFaultProxy(source.url, async (x) => {
    if (!x.url.pathname.endsWith("/tags/list")) return undefined;
    const listed = await (await x.forward()).json();
    return json({ ...listed, tags: [...listed.tags, evil] });
  });

  const result = expectCode(
    await box.run([
      "chart",
      "copy",
      `${proxy.host}/src/app`,
      `${destination.host}/dst/app`,
      "--all-tags",
    ]),
    0,
  );
  const warnings = result.stderr.split("\n").filter((line) => line.startsWith("Warning:"));
  assert.deepEqual(warnings, [
    `Warning: ${proxy.host}/src/app: skipped "${evil}": not a valid tag`,
  ]);
  assert.match(result.stdout, /copied app 1\.0\.0/);
  assert.ok(!proxy.log.some((r) => r.path.includes("victim")), "the bad tag reached no URL");
  const head = await fetch(`${destination.url}/v2/victim/app/manifests/latest`, {
    method: "HEAD",
    headers: { accept: "application/vnd.oci.image.manifest.v1+json" },
  });
  assert.equal(head.headers.get("docker-content-digest"), victim.manifest, "victim untouched");
});

Deno.test("1: a registry's Location outside itself and a redirect to a file: URL are refused", async () => {
  await using box = await sandbox();
  const chart = await serveChart(await rawChart("app"));
  await using elsewhere = await startHostile(() => new Response("stolen", { status: 201 }));
  await using registry = await startHostile((request, url) => {
    if (request.method === "POST" && url.pathname.endsWith("/blobs/uploads/")) {
      return new Response(null, {
        status: 202,
        headers: { location: `${elsewhere.url}/upload/here` },
      });
    }
    if (request.method === "HEAD") return new Response(null, { status: 404 });
    if (url.pathname.includes("/blobs/sha256:")) {
      return new Response(null, { status: 307, headers: { location: "file:///etc/passwd" } });
    }
    return chart.answer(request, url) ?? new Response(null, { status: 404 });
  });
  const dir = `${box.dir}/app`;
  await Deno.mkdir(dir);
  await Deno.writeTextFile(`${dir}/Chart.yaml`, "apiVersion: v2\nname: app\nversion: 1.0.0\n");
  expectCode(await box.run(["chart", "save", dir, `${registry.host}/app:1.0.0`]), 0);
  const push = expectCode(await box.run(["chart", "push", `${registry.host}/app:1.0.0`]), 1);
  assert.match(push.stderr, /Location ".*\/upload\/here", outside the registry; refused/);
  assert.equal(elsewhere.log.length, 0, "nothing was sent to the other host");
  const pull = expectCode(await box.run(["chart", "pull", `${registry.host}/app:1.0.0`]), 1);
  assert.match(pull.stderr, /redirected to "file:\/\/\/etc\/passwd"; refused/);
});

Deno.test("2: an endless token response is capped at 128 KiB", async () => {
  await using box = await sandbox();
  let sent = () => 0;
  await using registry = await startHostile((request, url, self) => {
    if (url.pathname === "/token") {
      const body = endless(
        request,
        self,
        new TextEncoder().encode('{"token":"' + "a".repeat(65526)),
        256 << 20,
      );
      sent = body.sent;
      return new Response(body.body, { headers: { "content-type": "application/json" } });
    }
    return bearerChallenge(`${self.url}/token`);
  });
  const result = await runBounded(box, ["chart", "tags", `${registry.host}/a/b`], 60_000);
  assert.equal(result.killed, false);
  assert.equal(result.code, 1, result.stderr);
  assert.match(
    result.stderr,
    /cannot get a token for .*: its answer is larger than the 128 KiB allowed/,
  );
  assert.ok(sent() < 64 << 20, `h3 stopped reading early (${sent()} bytes sent)`);
});

Deno.test("2: a tag-list page over 4 MiB and an endless error body are refused", async () => {
  await using box = await sandbox();
  let errorSent = () => 0;
  await using registry = await startHostile((request, url, self) => {
    if (url.pathname.startsWith("/v2/big/")) {
      const tags = Array.from({ length: 50_000 }, (_, i) => `tag-${i}-${"x".repeat(100)}`);
      return json({ name: "big/tags", tags });
    }
    const body = endless(
      request,
      self,
      new TextEncoder().encode("denied ".repeat(9362)),
      256 << 20,
    );
    errorSent = body.sent;
    return new Response(body.body, { status: 403 });
  });
  const page = expectCode(await box.run(["chart", "tags", `${registry.host}/big/tags`]), 1);
  assert.match(
    page.stderr,
    /a tag-list page of big\/tags is larger than the 4194304 bytes allowed/,
  );
  const error = await runBounded(box, ["chart", "tags", `${registry.host}/other/tags`], 60_000);
  assert.equal(error.code, 1);
  assert.match(error.stderr, /denied denied.*\(HTTP 403\)/);
  assert.ok(errorSent() < 64 << 20, `the error body was not read to its end (${errorSent()})`);
});

Deno.test("3: --timeout covers token requests: one never answered, one dripping", async () => {
  await using box = await sandbox();
  await using registry = await startHostile((request, url, self) => {
    if (url.pathname === "/silent") return never(request, self);
    if (url.pathname === "/drip") {
      const token = new TextEncoder().encode(JSON.stringify({ token: "t".repeat(200) }));
      return new Response(drip(request, self, token, 150));
    }
    return bearerChallenge(`${self.url}${url.pathname.includes("/slow/") ? "/drip" : "/silent"}`);
  });
  const silent = await runBounded(box, [
    "chart",
    "tags",
    `${registry.host}/quiet/chart`,
    "--timeout",
    "1",
  ], 60_000);
  assert.equal(silent.killed, false, "h3 ended by itself");
  assert.match(silent.stderr, /cannot get a token for .*timed out after 1s waiting for data/);
  const dripping = await runBounded(box, [
    "chart",
    "tags",
    `${registry.host}/slow/chart`,
    "--timeout",
    "1.5",
  ], 60_000);
  assert.equal(dripping.killed, false, "h3 ended by itself");
  assert.match(dripping.stderr, /cannot get a token for .*did not finish within 15s/);
});

Deno.test("3: a manifest sent a byte at a time ends at the request's deadline", async () => {
  await using box = await sandbox();
  const chart = await serveChart(await rawChart("app"));
  await using registry = await startHostile((request, url, self) => {
    const answer = chart.answer(request, url);
    if (request.method === "GET" && url.pathname.includes("/manifests/")) {
      return new Response(drip(request, self, chart.manifest, 150), {
        headers: { "content-type": "application/vnd.oci.image.manifest.v1+json" },
      });
    }
    return answer ?? new Response(null, { status: 404 });
  });
  const result = await runBounded(box, [
    "chart",
    "pull",
    `${registry.host}/app:1.0.0`,
    "--timeout",
    "1.5",
  ], 60_000);
  assert.equal(result.killed, false, "h3 ended by itself");
  assert.equal(result.code, 1);
  assert.match(result.stderr, /fetching manifest .*: did not finish within 15s/);
});

Deno.test("4: endless tag pagination stops at 1000 pages; a next page on another host is refused", async () => {
  await using box = await sandbox();
  await using other = await startHostile(() => json({ tags: ["x"] }));
  await using registry = await startHostile((_request, url) => {
    const page = Number(url.searchParams.get("last")?.slice(1) ?? 0);
    if (page >= 5000) return new Response(null, { status: 500 });
    const next = url.pathname.startsWith("/v2/away/")
      ? `${other.url}/v2/away/chart/tags/list?last=t1`
      : `${url.pathname}?n=1&last=t${page + 1}`;
    return json({ tags: [`t${page}`] }, { headers: { link: `<${next}>; rel="next"` } });
  });
  const endless = await runBounded(box, ["chart", "tags", `${registry.host}/loop/chart`], 120_000);
  assert.equal(endless.killed, false);
  assert.match(endless.stderr, /the tag list of loop\/chart goes on past 1000 pages; stopped/);
  assert.equal(registry.log.length, 1000);
  const away = expectCode(await box.run(["chart", "tags", `${registry.host}/away/chart`]), 1);
  assert.match(
    away.stderr,
    /links its next page to ".*", outside the registry's tag list; refused/,
  );
  assert.equal(other.log.length, 0);
});
