import assert from "node:assert/strict";
import { apiHost, redactUrl } from "../../core/transport/client.ts";
import { parseReference } from "../../core/ref.ts";
import { initialScheme, isLoopback } from "../../core/transport/options.ts";
import { backoffMs, isRetryableStatus, retryAfterMs } from "../../core/transport/retry.ts";
import { nextLink } from "../../core/transport/tags.ts";

Deno.test("loopback registries are spoken to over HTTP, others over HTTPS unless told", () => {
  for (const host of ["localhost:5000", "127.0.0.1:5000", "127.5.6.7", "[::1]:5000", "localhost"]) {
    assert.equal(isLoopback(host), true, host);
    assert.equal(initialScheme(host, {}), "http", host);
  }
  for (const host of ["ghcr.io", "10.0.0.1:5000", "registry.local:5000", "128.0.0.1"]) {
    assert.equal(isLoopback(host), false, host);
    assert.equal(initialScheme(host, {}), "https", host);
  }
  assert.equal(initialScheme("registry.local:5000", { plainHttp: true }), "http");
  assert.equal(initialScheme("localhost:5000", { plainHttp: false }), "https");
  assert.equal(initialScheme("localhost:5000", { caFile: "ca.pem" }), "https");
});

Deno.test("retries happen on 408, 429 and 5xx, never on other 4xx", () => {
  for (const status of [408, 429, 500, 502, 503, 504]) assert.ok(isRetryableStatus(status));
  for (const status of [400, 401, 403, 404, 416, 501]) assert.ok(!isRetryableStatus(status));
});

Deno.test("Retry-After is read as seconds or a date, and no wait exceeds the cap", () => {
  assert.equal(retryAfterMs("3"), 3000);
  const now = Date.parse("2026-01-01T00:00:00Z");
  assert.equal(retryAfterMs("Thu, 01 Jan 2026 00:00:05 GMT", now), 5000);
  assert.equal(retryAfterMs("soon"), undefined);
  assert.equal(retryAfterMs(null), undefined);
  assert.equal(backoffMs(1, 3600_000), 10_000);
  const asked = Array.from({ length: 20 }, () => backoffMs(1, 1000));
  assert.ok(asked.every((w) => w >= 1000 && w < 1250), "Retry-After, stretched by a little jitter");
  assert.ok(new Set(asked).size > 1, "concurrent retries told the same second spread out");
  for (let attempt = 1; attempt < 10; attempt++) {
    const wait = backoffMs(attempt);
    assert.ok(wait > 0 && wait <= 10_000);
  }
  assert.ok(backoffMs(1) <= 250);
});

Deno.test("the next tag page comes from the Link header", () => {
  assert.equal(
    nextLink('</v2/a/tags/list?n=2&last=b>; rel="next"'),
    "/v2/a/tags/list?n=2&last=b",
  );
  assert.equal(
    nextLink('<https://x/prev>; rel="prev", <https://x/next>; rel=next'),
    "https://x/next",
  );
  assert.equal(nextLink(null), undefined);
});

Deno.test("--debug URLs hide signatures and tokens", () => {
  const shown = redactUrl(
    new URL("https://s3.example/blob?X-Amz-Signature=abc&X-Amz-Date=1&_state=xyz"),
  );
  assert.equal(shown, "https://s3.example/blob?X-Amz-Signature=***&X-Amz-Date=1&_state=***");
});

Deno.test("Docker Hub references are served by registry-1.docker.io, as Docker does", () => {
  assert.equal(apiHost(parseReference("library/nginx:1").registry), "registry-1.docker.io");
  assert.equal(apiHost("docker.io"), "registry-1.docker.io");
  assert.equal(apiHost("ghcr.io"), "ghcr.io");
  assert.equal(apiHost("localhost:5000"), "localhost:5000");
});
