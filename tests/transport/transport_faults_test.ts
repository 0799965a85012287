import assert from "node:assert/strict";
import type { Authorizer } from "../../core/transport/options.ts";
import { fetchManifest } from "../../core/copy.ts";
import { readAll } from "../../core/digest.ts";
import { AuthError, DigestError, RegistryError } from "../../core/errors.ts";
import { type Descriptor, digestOf, encodeManifest } from "../../core/oci/descriptor.ts";
import { helmConfig, helmContent, ociManifest } from "../../core/oci/media_types.ts";
import { connectRepository, type Repository } from "../../core/transport/repository.ts";
import { cutOff, type Fault, startFaultProxy } from "../helpers/fault_proxy.ts";
import { freePort, startRegistry } from "../helpers/registry.ts";

const text = (s: string) => new TextEncoder().encode(s);

async function desc(bytes: Uint8Array, mediaType: string): Promise<Descriptor> {
  return { mediaType, digest: await digestOf(bytes), size: bytes.byteLength };
}

/** A real registry holding one chart-shaped manifest `charts/demo:1.0.0`, behind a fault proxy. */
async function setup(fault?: Fault) {
  const registry = await startRegistry();
  const content = new Uint8Array(256 * 1024).map((_, i) => (i * 7) % 251);
  const configBytes = text('{"name":"demo","version":"1.0.0"}');
  const config = await desc(configBytes, helmConfig);
  const layer = await desc(content, helmContent);
  const manifestBytes = encodeManifest({
    schemaVersion: 2,
    mediaType: ociManifest,
    config,
    layers: [layer],
  });
  const manifest = await desc(manifestBytes, ociManifest);
  {
    using direct = connectRepository(`${registry.host}/charts/demo`);
    await direct.push(config, ReadableStream.from([configBytes]));
    await direct.push(layer, ReadableStream.from([content]));
    await direct.pushReference(manifest, ReadableStream.from([manifestBytes]), "1.0.0");
  }
  const proxy = startFaultProxy(registry.url, fault);
  return {
    registry,
    proxy,
    content,
    layer,
    manifest,
    async [Symbol.asyncDispose]() {
      await proxy[Symbol.asyncDispose]();
      await registry[Symbol.asyncDispose]();
    },
  };
}

Deno.test("503 with Retry-After is retried after the wait, then succeeds", async () => {
  await using world = await setup(({ request, seen }) =>
    request.method === "HEAD" && seen < 2
      ? new Response(null, { status: 503, headers: { "retry-after": "1" } })
      : undefined
  );
  using repo = connectRepository(`${world.proxy.host}/charts/demo`);
  const started = Date.now();
  assert.deepEqual(await repo.resolve("1.0.0"), world.manifest);
  assert.ok(Date.now() - started >= 1900, "waited Retry-After twice");
  assert.equal(world.proxy.log.filter((r) => r.method === "HEAD").length, 3);
});

Deno.test("a registry that keeps failing gives a clear error within the time budget", async () => {
  await using world = await setup(() =>
    Response.json({ errors: [{ code: "UNAVAILABLE", message: "storage is down" }] }, {
      status: 503,
    })
  );
  using repo = connectRepository(`${world.proxy.host}/charts/demo`, { retryBudgetMs: 1500 });
  const started = Date.now();
  await assert.rejects(repo.resolve("1.0.0"), (error) => {
    assert.ok(error instanceof RegistryError);
    assert.equal(error.status, 503);
    const ref = `${world.proxy.host}/charts/demo:1.0.0`;
    assert.match(error.message, new RegExp(`^resolving ${ref}: .*gave up after`));
    assert.equal(error.message.split(world.proxy.host).length, 2, "the host is named once");
    return true;
  });
  assert.ok(Date.now() - started < 3000);

  // A GET error body in distribution JSON is quoted: code and message.
  await assert.rejects(repo.fetch(world.layer), /storage is down \(UNAVAILABLE, HTTP 503\)/);
});

Deno.test("a download cut off mid-blob resumes with Range and ends verified", async () => {
  await using world = await setup(async ({ request, url, seen, forward }) => {
    if (request.method !== "GET" || !url.pathname.includes("/blobs/") || seen > 0) return;
    const whole = new Uint8Array(await (await forward()).arrayBuffer());
    return cutOff(whole, 100_000);
  });
  using repo = connectRepository(`${world.proxy.host}/charts/demo`);
  const bytes = await readAll(await repo.fetch(world.layer), 1 << 20);
  assert.deepEqual(bytes, world.content);
  const gets = world.proxy.log.filter((r) => r.method === "GET");
  assert.equal(gets.length, 2);
  assert.equal(gets[1].headers.get("range"), "bytes=100000-");
});

Deno.test("a small blob read whole resumes a cut-off download with Range and is verified", async () => {
  await using world = await setup(async ({ request, url, seen, forward }) => {
    if (request.method !== "GET" || !url.pathname.includes("/blobs/") || seen > 0) return;
    const whole = new Uint8Array(await (await forward()).arrayBuffer());
    return cutOff(whole, 100_000);
  });
  using repo = connectRepository(`${world.proxy.host}/charts/demo`);
  assert.deepEqual(await repo.fetchBytes(world.layer), world.content);
  const gets = world.proxy.log.filter((r) => r.method === "GET");
  assert.deepEqual(gets.map((g) => g.headers.get("range")), [null, "bytes=100000-"]);
});

Deno.test("a small blob read whole is refused when its bytes or its length are wrong", async () => {
  let extra = false;
  await using world = await setup(async ({ request, url, forward }) => {
    if (request.method !== "GET" || !url.pathname.includes("/blobs/")) return;
    const bytes = new Uint8Array(await (await forward()).arrayBuffer());
    if (extra) return new Response(ReadableStream.from([bytes, new Uint8Array(10)]));
    bytes[10] ^= 0xff;
    return new Response(bytes);
  });
  using repo = connectRepository(`${world.proxy.host}/charts/demo`);
  await assert.rejects(repo.fetchBytes(world.layer), (error) => {
    return error instanceof DigestError && /digest mismatch/.test(error.message);
  });
  extra = true;
  await assert.rejects(repo.fetchBytes(world.layer), (error) => {
    return error instanceof DigestError && /more than the \d+ bytes announced/.test(error.message);
  });
  // A blob too big to read whole is left to the stream.
  assert.equal(await repo.fetchBytes({ ...world.layer, size: 2 << 20 }), undefined);
});

Deno.test("a blob whose bytes do not match its digest is refused", async () => {
  await using world = await setup(async ({ request, url, forward }) => {
    if (request.method !== "GET" || !url.pathname.includes("/blobs/")) return;
    const bytes = new Uint8Array(await (await forward()).arrayBuffer());
    bytes[10] ^= 0xff;
    return new Response(bytes);
  });
  using repo = connectRepository(`${world.proxy.host}/charts/demo`);
  await assert.rejects(
    async () => await readAll(await repo.fetch(world.layer), 1 << 20),
    (error) => error instanceof DigestError && /digest mismatch/.test(error.message),
  );
});

Deno.test("a manifest that is not the one asked for is refused", async () => {
  await using world = await setup(({ request, url }) => {
    if (request.method !== "GET" || !url.pathname.includes("/manifests/")) return;
    // It names the manifest asked for, and sends another.
    const other = encodeManifest({ schemaVersion: 2, config: world.layer, layers: [] });
    return new Response(other as Uint8Array<ArrayBuffer>, {
      headers: { "content-type": ociManifest, "docker-content-digest": world.manifest.digest },
    });
  });
  using repo = connectRepository(`${world.proxy.host}/charts/demo`);
  await assert.rejects(fetchManifest(repo, "1.0.0"), DigestError);
});

Deno.test("manifests over 4 MiB are refused before being read whole", async () => {
  const huge = 256 * 1024 * 1024;
  let sent = 0;
  const hugeBody = () =>
    new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= huge) return controller.close();
        sent += 65536;
        controller.enqueue(new Uint8Array(65536).fill(32));
      },
    });
  await using world = await setup(({ request, url }) => {
    if (!url.pathname.includes("/manifests/")) return;
    const headers = { "content-type": ociManifest, "docker-content-digest": world.manifest.digest };
    if (request.method === "HEAD") {
      return new Response(null, { headers: { ...headers, "content-length": String(huge) } });
    }
    return new Response(hugeBody(), { headers });
  });
  using repo = connectRepository(`${world.proxy.host}/charts/demo`);
  await assert.rejects(repo.resolve("1.0.0"), /over the 4194304 bytes allowed/);
  // Announced small, sent huge (no Content-Length): refused while reading.
  await assert.rejects(
    repo.fetch({ ...world.manifest, size: 100 }),
    /over the 4194304 bytes allowed/,
  );
  assert.ok(sent < 64 * 1024 * 1024, `stopped reading early (read ${sent})`);
});

Deno.test("tags are listed across pages following the Link header", async () => {
  // registry:2 as packaged ignores `n`; the proxy pages its answer as GHCR or Harbor do.
  await using world = await setup(async ({ url, forward }) => {
    if (!url.pathname.endsWith("/tags/list")) return;
    const all = ["1.0.0", "1.1.0", "2.0.0", "2.1.0", "3.0.0"];
    await (await forward()).body?.cancel();
    const last = url.searchParams.get("last");
    const start = last ? all.indexOf(last) + 1 : 0;
    const page = all.slice(start, start + 2);
    const headers: HeadersInit = start + 2 < all.length
      ? { link: `<${url.pathname}?n=2&last=${page.at(-1)}>; rel="next"` }
      : {};
    return Response.json({ name: "charts/demo", tags: page }, { headers });
  });
  using repo = connectRepository(`${world.proxy.host}/charts/demo`);
  assert.deepEqual(await Array.fromAsync(repo.tags()), [
    "1.0.0",
    "1.1.0",
    "2.0.0",
    "2.1.0",
    "3.0.0",
  ]);
  assert.equal(world.proxy.log.filter((r) => r.path.includes("/tags/list")).length, 3);
});

Deno.test("a 401 without an authorizer says which registry wants authentication", async () => {
  await using world = await setup(() =>
    new Response(null, { status: 401, headers: { "www-authenticate": 'Basic realm="x"' } })
  );
  using repo = connectRepository(`${world.proxy.host}/charts/demo`);
  await assert.rejects(
    repo.resolve("1.0.0"),
    (error) =>
      error instanceof AuthError &&
      error.message.startsWith(`authentication required by ${world.proxy.host}`),
  );
});

Deno.test("credentials answer the challenge, and never follow a redirect to another host", async () => {
  const storageSeen: Headers[] = [];
  await using storage = {
    server: Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
      storageSeen.push(request.headers);
      return new Response("redirected body");
    }),
    async [Symbol.asyncDispose]() {
      await this.server.shutdown();
    },
  };
  const redirected = text("redirected body");
  await using world = await setup(({ request, url }) => {
    if (request.headers.get("authorization") !== "Basic dGVzdDp0ZXN0") {
      return new Response(null, {
        status: 401,
        headers: { "www-authenticate": 'Basic realm="proxy"' },
      });
    }
    if (url.pathname.includes("/blobs/")) {
      return new Response(null, {
        status: 307,
        headers: { location: `http://127.0.0.1:${storage.server.addr.port}/blob?sig=abc` },
      });
    }
  });
  const asked: string[][] = [];
  const authorizer: Authorizer = {
    cached: () => undefined,
    authorize: (_registry, challenges, scopes) => {
      asked.push(scopes);
      return Promise.resolve(challenges[0]?.scheme === "basic" ? "Basic dGVzdDp0ZXN0" : undefined);
    },
  };
  const lines: string[] = [];
  using repo = connectRepository(`${world.proxy.host}/charts/demo`, {
    authorizer,
    debug: (l) => lines.push(l),
  });
  const blob = await desc(redirected, helmContent);
  assert.deepEqual(await readAll(await repo.fetch(blob), 1024), redirected);
  assert.deepEqual(asked, [["repository:charts/demo:pull"]]);
  assert.equal(storageSeen.length, 1);
  assert.equal(storageSeen[0].get("authorization"), null);
  assert.ok(lines.every((l) => !l.includes("dGVzdDp0ZXN0") && !l.includes("sig=abc")));
});

Deno.test("a registry that is not there fails at once with a clear error", async () => {
  using repo = connectRepository(`127.0.0.1:${freePort()}/charts/demo`);
  const started = Date.now();
  await assert.rejects(
    repo.resolve("1.0.0"),
    /cannot connect to 127\.0\.0\.1:\d+: connection refused/,
  );
  assert.ok(Date.now() - started < 1000);
});

Deno.test("upload Locations given as relative paths are followed, chunk after chunk", async () => {
  await using world = await setup(async ({ forward }) => {
    const response = await forward();
    const location = response.headers.get("location");
    if (!location) return response;
    const headers = new Headers(response.headers);
    const url = new URL(location);
    headers.set("location", url.pathname + url.search);
    return new Response(response.body, { status: response.status, headers });
  });
  using repo = connectRepository(`${world.proxy.host}/charts/big`);
  const content = new Uint8Array(9 * 1024 * 1024).map((_, i) => i % 253);
  const blob = await desc(content, helmContent);
  await repo.push(blob, ReadableStream.from([content]));
  assert.equal(world.proxy.log.filter((r) => r.method === "PATCH").length, 2);
  assert.equal(await repo.exists(blob), true);
});

/** Says nothing for a second (clients here give up well before), then answers to nobody. */
async function silence(): Promise<Response> {
  await new Promise((resolve) => setTimeout(resolve, 1000));
  return new Response(null, { status: 504 });
}

/** The two ways a blob is read: streamed (`fetch`), and whole at once (`fetchBytes`, small blobs). */
const blobReads: [
  string,
  (repo: Repository, blob: Descriptor) => Promise<Uint8Array | undefined>,
][] = [
  [
    "a registry that goes silent mid-blob is timed out and the download resumed",
    async (repo, blob) => await readAll(await repo.fetch(blob), 1 << 20),
  ],
  [
    "a small blob read whole that goes silent mid-body is timed out and resumed",
    (repo, blob) => repo.fetchBytes(blob),
  ],
];

for (const [name, read] of blobReads) {
  Deno.test(name, async () => {
    await using world = await setup(async ({ request, url, seen, forward, stall }) => {
      if (request.method !== "GET" || !url.pathname.includes("/blobs/") || seen > 0) return;
      const whole = new Uint8Array(await (await forward()).arrayBuffer());
      return stall(whole.slice(0, 100_000), whole.byteLength);
    });
    using repo = connectRepository(`${world.proxy.host}/charts/demo`, { timeoutMs: 300 });
    const started = Date.now();
    assert.deepEqual(await read(repo, world.layer), world.content);
    assert.ok(Date.now() - started < 3000, "timed out quickly, not hung");
    const gets = world.proxy.log.filter((r) => r.method === "GET");
    assert.deepEqual(gets.map((g) => g.headers.get("range")), [null, "bytes=100000-"]);
  });
}

/** A body of `total` bytes sent 1 KiB every 50 ms: never silent for long, and never done soon. */
function trickle(total: number): Response {
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const size = Math.min(1024, total - sent);
      controller.enqueue(new Uint8Array(size));
      sent += size;
      if (sent >= total) controller.close();
    },
  });
  return new Response(body, { headers: { "content-length": String(total) } });
}

Deno.test("a small blob read whole must arrive within one idle timeout, however steadily", async () => {
  await using world = await setup(async ({ request, url, forward }) => {
    if (request.method !== "GET" || !url.pathname.includes("/blobs/")) return;
    await (await forward()).body?.cancel();
    return trickle(world.layer.size); // 256 KiB at 20 KiB/s: about 13 s
  });
  using repo = connectRepository(`${world.proxy.host}/charts/demo`, { timeoutMs: 300 });
  const started = Date.now();
  await assert.rejects(repo.fetchBytes(world.layer), (error) => {
    assert.ok(error instanceof RegistryError);
    assert.match(
      error.message,
      /was cut off at \d+ of 262144 bytes \(after 3 resumes\): timed out after 0\.3s/,
    );
    return true;
  });
  // Each of the 4 exchanges stopped at its one timer (300 ms), well before its 3 s deadline.
  assert.ok(Date.now() - started < 6000, `took ${Date.now() - started} ms`);
});

Deno.test("a registry that stays silent fails with one line naming the host and the timeout", async () => {
  await using world = await setup(async ({ request, url, forward, stall }) => {
    if (request.method === "GET" && url.pathname.includes("/blobs/")) {
      await (await forward()).body?.cancel();
      return stall(new Uint8Array(10), world.layer.size);
    }
    if (request.method === "PUT") return await silence();
  });
  using repo = connectRepository(`${world.proxy.host}/charts/demo`, {
    timeoutMs: 200,
    retryBudgetMs: 2000,
  });
  await assert.rejects(
    async () => await readAll(await repo.fetch(world.layer), 1 << 20),
    (error) => {
      assert.ok(error instanceof RegistryError);
      assert.equal(
        error.message,
        `${world.proxy.host}: download of blob ${world.layer.digest} was cut off at 10 of ` +
          `${world.layer.size} bytes (after 3 resumes): timed out after 0.2s waiting for data`,
      );
      return true;
    },
  );
  // An upload whose answer never comes is retried (a PUT may be sent again), then given up.
  const other = text("an upload that the registry never answers");
  await assert.rejects(
    repo.push(await desc(other, helmContent), ReadableStream.from([other])),
    (error) => {
      assert.ok(error instanceof RegistryError);
      assert.match(
        error.message,
        new RegExp(
          `^${world.proxy.host}: .*: timed out after 0\\.2s waiting for data \\(gave up after \\d attempts\\)$`,
        ),
      );
      return true;
    },
  );
});

Deno.test("a manifest whose headers or body never come is asked for again", async () => {
  await using world = await setup(async ({ request, url, seen, forward, stall }) => {
    if (!url.pathname.includes("/manifests/") || seen > 0) return;
    if (request.method === "HEAD") return await silence();
    const whole = new Uint8Array(await (await forward()).arrayBuffer());
    return stall(whole.slice(0, 10), whole.byteLength);
  });
  using repo = connectRepository(`${world.proxy.host}/charts/demo`, { timeoutMs: 300 });
  const started = Date.now();
  assert.deepEqual(await repo.resolve("1.0.0"), world.manifest);
  const bytes = await readAll(await repo.fetch(world.manifest), 1 << 20);
  assert.equal(await digestOf(bytes), world.manifest.digest);
  assert.ok(Date.now() - started < 4000);
  const manifestRequests = world.proxy.log.filter((r) => r.path.includes("/manifests/"));
  assert.deepEqual(manifestRequests.map((r) => r.method), ["HEAD", "HEAD", "GET", "GET"]);
});

Deno.test("a 200 to a Range request is checked against the whole blob, and says so", async () => {
  await using world = await setup(({ request, url, seen }) => {
    if (request.method !== "GET" || !url.pathname.includes("/blobs/")) return;
    const whole = world.content;
    if (seen === 0) return cutOff(whole, 100_000);
    // Ignores the Range (a 200), yet announces only the rest.
    return new Response(whole.slice(100_000), {
      headers: { "content-length": String(whole.byteLength - 100_000) },
    });
  });
  using repo = connectRepository(`${world.proxy.host}/charts/demo`);
  await assert.rejects(
    async () => await readAll(await repo.fetch(world.layer), 1 << 20),
    {
      message: `${world.proxy.host} announced ${world.layer.size - 100_000} bytes for blob ` +
        `${world.layer.digest}, expected ${world.layer.size} (the whole blob: the range request ` +
        `got HTTP 200)`,
    },
  );
});

Deno.test("a digest reference is named with @, and the host once", async () => {
  await using world = await setup();
  using repo = connectRepository(`${world.proxy.host}/charts/demo`);
  const missing = `sha256:${"0".repeat(64)}`;
  await assert.rejects(repo.resolve(missing), {
    message: `${world.proxy.host}/charts/demo@${missing}: not found`,
  });
});
