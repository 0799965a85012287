/**
 * Security, a hostile registry harvesting credentials or the terminal (issue #20, items 5-9):
 * credentials go only to the registry they were stored for, never in clear to a plain-HTTP realm,
 * never in a token POST redirected to another origin; what a registry sends is printed with
 * control characters escaped, and credentials it echoes are redacted in every form.
 */
import assert from "node:assert/strict";
import { expectCode, sandbox } from "../helpers/cli.ts";
import { bearerChallenge, serveChart, startHostile, storeCredentials } from "../helpers/hostile.ts";
import { rawChart } from "../helpers/reliability.ts";
import { makeTls } from "../helpers/tls.ts";
import { initialScheme, isLoopback } from "../../core/transport/options.ts";

const user = { username: "alice", password: "s3cret pa$$/word" };
const basic = `Basic ${btoa(`${user.username}:${user.password}`)}`;

/** A registry that accepts only `basic` and serves `chart`, with `blob` deciding blob GETs. */
async function basicRegistry(blob: (url: URL) => Response | undefined) {
  const chart = await serveChart(await rawChart("app"));
  return await startHostile((request, url) => {
    if (request.headers.get("authorization") !== basic) {
      return new Response(null, {
        status: 401,
        headers: { "www-authenticate": 'Basic realm="registry"' },
      });
    }
    if (url.pathname.includes("/blobs/")) {
      const answer = blob(url);
      if (answer) return answer;
    }
    return chart.answer(request, url) ?? new Response(null, { status: 404 });
  });
}

Deno.test("5: a host a redirect leads to gets none of the registry's credentials", async () => {
  await using box = await sandbox();
  await using foreign = await startHostile((request, url, self) =>
    url.pathname === "/token"
      ? Response.json({ token: "foreign" })
      : request.headers.get("authorization")
      ? new Response("thanks")
      : bearerChallenge(`${self.url}/token`)
  );
  await using registry = await basicRegistry((url) =>
    new Response(null, { status: 307, headers: { location: `${foreign.url}${url.pathname}` } })
  );
  await storeCredentials(box, registry.host, user);
  const result = expectCode(await box.run(["chart", "pull", `${registry.host}/app:1.0.0`]), 1);
  assert.match(
    result.stderr,
    new RegExp(
      `${foreign.host} \\(where ${registry.host} sent h3 for fetching blob .*\\) asks ` +
        `for credentials; h3 gives ${registry.host}'s credentials to no other host`,
    ),
  );
  for (const request of foreign.log) {
    assert.equal(request.headers.get("authorization"), null, `${request.method} ${request.path}`);
  }
  assert.ok(!foreign.log.some((r) => r.path.startsWith("/token")), "no token asked for");
});

Deno.test("6: an HTTPS registry naming a plain-HTTP realm off loopback is refused", async () => {
  await using tls = await makeTls();
  await using box = await sandbox();
  await using tokens = await startHostile(() => Response.json({ token: "t" }));
  // 0.0.0.0 reaches this machine, but it is no loopback address: the realm is "on the network".
  const realm = `http://0.0.0.0:${tokens.host.split(":")[1]}/token`;
  await using registry = await startHostile(() => bearerChallenge(realm), tls.server);
  await storeCredentials(box, registry.host, user);
  const result = expectCode(
    await box.run(["chart", "tags", `${registry.host}/a/b`, "--ca-file", tls.ca]),
    1,
  );
  assert.match(
    result.stderr,
    new RegExp(
      `names the token service "${realm}", over plain HTTP: credentials would cross ` +
        `the network in clear; refused \\(pass --plain-http for ${registry.host} if that is intended\\)`,
    ),
  );
  assert.equal(tokens.log.length, 0, "the token service heard nothing");
});

Deno.test("7: a token POST redirected to another origin is not followed", async () => {
  await using box = await sandbox();
  await using thief = await startHostile(() => Response.json({ token: "stolen" }));
  await using registry = await startHostile((_request, url, self) =>
    url.pathname === "/token"
      ? new Response(null, { status: 307, headers: { location: `${thief.url}/token` } })
      : bearerChallenge(`${self.url}/token`)
  );
  await storeCredentials(box, registry.host, { username: "alice", identityToken: "refresh-me" });
  const result = expectCode(await box.run(["chart", "tags", `${registry.host}/a/b`]), 1);
  assert.match(
    result.stderr,
    new RegExp(
      `the token service at ${registry.url} redirected to ${thief.url}; h3 sends ` +
        `credentials to no other origin`,
    ),
  );
  assert.equal(thief.log.length, 0, "the other origin got no refresh token");
  assert.match(
    registry.log.find((r) => r.method === "POST")?.body ?? "",
    /refresh_token=refresh-me/,
  );
});

const escapes = "\x1b]0;pwned\x07\x1b[2J\x1b]52;c;ZXZpbA==\x07\x9b31m\u202e";

Deno.test("8: escapes from a registry reach the terminal as text, never as control characters", async () => {
  await using box = await sandbox();
  const chart = await serveChart({
    ...await rawChart("app"),
    config: new TextEncoder().encode(JSON.stringify({
      apiVersion: "v2",
      name: "app",
      version: "1.0.0",
      description: `nice${escapes}`,
    })),
  });
  await using registry = await startHostile((request, url) => {
    if (url.pathname.startsWith("/v2/denied/")) {
      return Response.json({
        errors: [{ code: "DENIED", message: `no${escapes}\nLogin Succeeded` }],
      }, { status: 403 });
    }
    if (url.pathname.endsWith("/tags/list")) {
      return Response.json({ tags: ["1.0.0", `evil${escapes}`] });
    }
    return chart.answer(request, url) ?? new Response(null, { status: 404 });
  });
  const denied = expectCode(await box.run(["chart", "pull", `${registry.host}/denied/x:1`]), 1);
  const tags = expectCode(await box.run(["chart", "tags", `${registry.host}/app/x`]), 0);
  const json = expectCode(
    await box.run(["chart", "tags", `${registry.host}/app/x`, "--output", "json"]),
    0,
  );
  for (const output of [denied, tags, json]) {
    const text = output.stdout + output.stderr;
    // deno-lint-ignore no-control-regex
    assert.doesNotMatch(text, /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/, JSON.stringify(text));
    assert.ok(!text.split("\n").includes("Login Succeeded"), "no line of its own");
  }
  assert.match(
    denied.stderr,
    /no\\x1b\]0;pwned\\x07\\x1b\[2J.* Login Succeeded \(DENIED, HTTP 403\)/,
  );
  assert.match(
    tags.stderr,
    /Warning: .*\/app\/x: skipped "evil\\x1b\]0;pwned\\x07.*": not a valid tag/,
  );
  assert.match(tags.stdout, /^1\.0\.0 +app +1\.0\.0 +nice/m);
  assert.deepEqual(JSON.parse(json.stdout).map((t: { tag: string }) => t.tag), ["1.0.0"]);
});

Deno.test("9: credentials a token service echoes are redacted in every form", async () => {
  await using box = await sandbox();
  await using registry = await startHostile((request, url, self) => {
    if (url.pathname !== "/token") return bearerChallenge(`${self.url}/token`);
    const header = request.headers.get("authorization") ?? "";
    return Response.json({
      details: `bad ${header} ${btoa(`${user.username}:${user.password}`)} ` +
        `${encodeURIComponent(user.password)} ${user.password}`,
    }, { status: 401 });
  });
  await storeCredentials(box, registry.host, user);
  for (const args of [[], ["--debug"]]) {
    const result = expectCode(
      await box.run(["chart", "tags", `${registry.host}/a/b`, ...args]),
      1,
    );
    const text = result.stdout + result.stderr;
    assert.match(
      text,
      /refused the credentials: its token service answered 401.*: bad \*\*\* \*\*\*/,
    );
    for (const secret of [btoa(`alice:${user.password}`), user.password, "s3cret"]) {
      assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
    }
    assert.ok(!text.includes(encodeURIComponent(user.password)), text);
  }
});

Deno.test("13: only localhost, 127.0.0.0/8 and ::1 literals are loopback, not names under .localhost", async () => {
  for (const host of ["localhost:5000", "127.0.0.1", "127.255.0.9:1", "[::1]:5000"]) {
    assert.equal(isLoopback(host), true, host);
  }
  for (
    const host of [
      "evil.localhost:5000",
      "localhost.evil.example",
      "127.0.0.1.nip.io",
      "127.0.0.256",
      "0.0.0.0:5000",
      "[::ffff:127.0.0.1]:5000",
    ]
  ) {
    assert.equal(isLoopback(host), false, host);
    assert.equal(initialScheme(host, {}), "https", host);
  }
  await using box = await sandbox();
  const result = await box.run(["chart", "tags", "evil.localhost:5000/a/b", "--debug"]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^> GET https:\/\/evil\.localhost:5000\/v2\/a\/b\/tags\/list/m);
  assert.doesNotMatch(result.stderr, /http:\/\/evil\.localhost/);
});
