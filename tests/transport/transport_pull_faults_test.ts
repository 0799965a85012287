import assert from "node:assert/strict";
import { digestOf } from "../../core/oci/descriptor.ts";
import { fixtureChart } from "../helpers/charts.ts";
import { expectCode, type Sandbox, sandbox } from "../helpers/cli.ts";
import { cutOff, type Fault, startFaultProxy } from "../helpers/fault_proxy.ts";
import { startRegistry } from "../helpers/registry.ts";

/** A real registry holding the fixture chart at charts/demo:1.0.0, behind a fault proxy. */
async function world(fault: Fault) {
  const registry = await startRegistry();
  {
    await using pusher = await sandbox();
    const ref = `${registry.host}/charts/demo:1.0.0`;
    expectCode(await pusher.run(["chart", "save", fixtureChart, ref]), 0);
    expectCode(await pusher.run(["chart", "push", ref]), 0);
  }
  const proxy = startFaultProxy(registry.url, fault);
  return {
    ref: `${proxy.host}/charts/demo:1.0.0`,
    proxy,
    async [Symbol.asyncDispose]() {
      await proxy[Symbol.asyncDispose]();
      await registry[Symbol.asyncDispose]();
    },
  };
}

/** The refs and blobs in a sandbox's cache. */
async function cacheContents(sb: Sandbox): Promise<{ refs: string[]; blobs: string[] }> {
  const list = expectCode(await sb.run(["chart", "list", "--output", "json"]), 0);
  const blobs = await Array.fromAsync(Deno.readDir(`${sb.helmHome}/registry/blobs/sha256`))
    .catch(() => []);
  return {
    refs: JSON.parse(list.stdout).map((r: { ref: string }) => r.ref),
    blobs: blobs.map((b) => b.name),
  };
}

const isBlobGet = (request: Request, url: URL) =>
  request.method === "GET" && url.pathname.includes("/blobs/");

Deno.test("a manifest that is not JSON is refused with a clear error; the cache stays empty", async () => {
  const html = new TextEncoder().encode("<html>oops</html>");
  const digest = await digestOf(html);
  await using w = await world(({ request, url }) =>
    url.pathname.includes("/manifests/")
      ? new Response(request.method === "HEAD" ? null : html, {
        headers: {
          "content-type": "text/html",
          "content-length": String(html.byteLength),
          "docker-content-digest": digest,
        },
      })
      : undefined
  );
  await using sb = await sandbox();
  const result = expectCode(await sb.run(["chart", "pull", w.ref]), 1);
  assert.equal(result.stderr, `Error: ${w.ref}: manifest is not valid JSON\n`);
  assert.deepEqual(await cacheContents(sb), { refs: [], blobs: [] });
});

Deno.test("a content blob with a lying digest is refused and never enters the cache", async () => {
  const lied: string[] = [];
  await using w = await world(async ({ request, url, forward }) => {
    if (!isBlobGet(request, url)) return;
    const bytes = new Uint8Array(await (await forward()).arrayBuffer());
    if (bytes.byteLength < 300) return new Response(bytes); // the config passes
    lied.push(url.pathname.split("/blobs/sha256:")[1]);
    bytes[bytes.length - 1] ^= 1;
    return new Response(bytes);
  });
  await using sb = await sandbox();
  const result = expectCode(await sb.run(["chart", "pull", w.ref]), 1);
  assert.match(result.stderr, /^Error: .*digest mismatch: expected sha256:[0-9a-f]{64}, got /);
  const { refs, blobs } = await cacheContents(sb);
  assert.deepEqual(refs, []);
  assert.equal(lied.length, 1);
  assert.ok(!blobs.includes(lied[0]), "the lying blob is not stored");
});

Deno.test("a huge manifest is refused before it is read", async () => {
  let sent = 0;
  const huge = () =>
    new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 64 << 20) return controller.close();
        sent += 65536;
        controller.enqueue(new Uint8Array(65536).fill(32));
      },
    });
  await using w = await world(({ url }) =>
    url.pathname.includes("/manifests/")
      ? new Response(huge(), { headers: { "docker-content-digest": "x" } })
      : undefined
  );
  await using sb = await sandbox();
  const result = expectCode(await sb.run(["chart", "pull", w.ref]), 1);
  assert.equal(
    result.stderr,
    `Error: ${w.ref}: manifest is over the 4194304 bytes allowed\n`,
  );
  assert.ok(sent < 16 << 20, `stopped reading early (sent ${sent})`);
  assert.deepEqual(await cacheContents(sb), { refs: [], blobs: [] });
});

Deno.test("503s with Retry-After and a cut-off download end in a good pull", async () => {
  await using w = await world(async ({ request, url, seen, forward }) => {
    if (!isBlobGet(request, url)) return;
    if (seen === 0) return new Response(null, { status: 503, headers: { "retry-after": "1" } });
    if (seen === 1) {
      const whole = new Uint8Array(await (await forward()).arrayBuffer());
      return cutOff(whole, Math.floor(whole.byteLength / 2));
    }
  });
  await using sb = await sandbox();
  const result = expectCode(await sb.run(["chart", "pull", w.ref]), 0);
  assert.match(result.stdout, /^Status: Downloaded newer chart for /m);
  assert.deepEqual((await cacheContents(sb)).refs, [w.ref]);
  assert.ok(w.proxy.log.some((r) => r.headers.get("range")?.startsWith("bytes=")));
});

Deno.test("a pull asks for each thing once: the manifest by tag, then each blob", async () => {
  await using w = await world(() => undefined);
  await using sb = await sandbox();
  expectCode(await sb.run(["chart", "pull", w.ref]), 0);
  const asked = w.proxy.log
    .filter((r) => r.path !== "/v2/")
    .map((r) => `${r.method} ${r.path.replace(/sha256:[0-9a-f]{64}/, "DIGEST")}`);
  assert.deepEqual(asked.toSorted(), [
    "GET /v2/charts/demo/blobs/DIGEST",
    "GET /v2/charts/demo/blobs/DIGEST",
    "GET /v2/charts/demo/manifests/1.0.0",
  ]);
  assert.deepEqual((await cacheContents(sb)).refs, [w.ref]);
  // Pulled again: the manifest is read, no blob.
  expectCode(await sb.run(["chart", "pull", w.ref]), 0);
  assert.equal(w.proxy.log.filter((r) => r.path.includes("/blobs/")).length, 2);
});
