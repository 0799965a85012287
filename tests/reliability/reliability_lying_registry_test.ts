import assert from "node:assert/strict";
import { expectCode, sandbox } from "../helpers/cli.ts";
import { type Exchange, startFaultProxy } from "../helpers/fault_proxy.ts";
import { startRegistry } from "../helpers/registry.ts";
import { auditCache, rawChart, rawPush, sha256, writeChart } from "../helpers/reliability.ts";

/** Every file under `dir` with its size and mtime (directories by name only), sorted. */
async function files(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) {
      out.push(`${prefix}${entry.name}/`, ...await files(path, `${prefix}${entry.name}/`));
    } else {
      const info = await Deno.stat(path);
      out.push(`${prefix}${entry.name} ${info.size} ${info.mtime?.getTime()}`);
    }
  }
  return out.sort();
}

const isGet = (x: Exchange, part: string) =>
  x.request.method === "GET" && x.url.pathname.includes(`/${part}/`);

/** A manifest body of `size` bytes: valid JSON padded with spaces. */
function paddedManifest(size: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size).fill(0x20);
  bytes.set(new TextEncoder().encode('{"schemaVersion":2}'));
  return bytes;
}

Deno.test("a lying registry is refused and nothing it sent enters the cache", async (t) => {
  await using registry = await startRegistry();
  await using box = await sandbox();
  const good = await rawPush(registry.url, "lies/chart", "1.0.0", await rawChart("chart"));
  const notHelm = await rawChart("chart");
  await rawPush(registry.url, "lies/image", "1.0.0", {
    ...notHelm,
    configMediaType: "application/vnd.oci.image.config.v1+json",
  });
  await rawPush(registry.url, "lies/badconfig", "1.0.0", {
    content: notHelm.content,
    config: new TextEncoder().encode('{"kind":"Pod","spec":{}}'),
  });

  let lie: (x: Exchange) => Promise<Response | undefined> | Response | undefined = () => undefined;
  await using proxy = startFaultProxy(registry.url, (x) => lie(x));
  // A cache that already holds charts: they must come through untouched.
  expectCode(
    await box.run(["chart", "save", await writeChart(box.dir, "mine"), "localhost:5000/mine"]),
    0,
  );
  await rawPush(registry.url, "lies/other", "1.0.0", await rawChart("other"));
  expectCode(await box.run(["chart", "pull", `${registry.host}/lies/other:1.0.0`]), 0);
  const cache = `${box.helmHome}/registry`;
  const before = await files(cache);

  const cases: [string, typeof lie, string, RegExp][] = [
    [
      "a blob whose bytes do not match its digest",
      async (x) => {
        if (!isGet(x, "blobs") || !x.url.pathname.endsWith(good.content)) return;
        const bytes = new Uint8Array(await (await x.forward()).arrayBuffer());
        bytes[bytes.length >> 1] ^= 0xff;
        return new Response(bytes);
      },
      "chart",
      /digest mismatch: expected sha256:[0-9a-f]{64}, got sha256:[0-9a-f]{64}$/,
    ],
    [
      "a manifest announced over 4 MiB",
      (x) =>
        x.url.pathname.includes("/manifests/")
          ? new Response(x.request.method === "HEAD" ? null : paddedManifest(5 << 20), {
            headers: { "content-type": "application/vnd.oci.image.manifest.v1+json" },
          })
          : undefined,
      "chart",
      /over the 4194304 bytes allowed/,
    ],
    [
      "a manifest over 4 MiB sent without a length",
      (x) => {
        if (!x.url.pathname.includes("/manifests/")) return;
        const headers = { "docker-content-digest": good.manifest };
        if (x.request.method === "HEAD") {
          return new Response(null, { headers: { ...headers, "content-length": "300" } });
        }
        return new Response(ReadableStream.from([paddedManifest(5 << 20)]), { headers });
      },
      "chart",
      /over the 4194304 bytes allowed/,
    ],
    [
      "a manifest that is not JSON",
      (x) => {
        if (!x.url.pathname.includes("/manifests/")) return;
        const html = new TextEncoder().encode("<html><body>Welcome to nginx!</body></html>");
        return new Response(x.request.method === "HEAD" ? null : html, {
          headers: { "docker-content-digest": sha256(html), "content-length": `${html.length}` },
        });
      },
      "chart",
      /manifest is not valid JSON$/,
    ],
    [
      "a config that is not a Helm config (media type)",
      () => undefined,
      "image",
      /not a Helm chart: config media type is "application\/vnd\.oci\.image\.config\.v1\+json"$/,
    ],
    [
      "a config that is not a Helm config (content)",
      () => undefined,
      "badconfig",
      /config sha256:[0-9a-f]{64}.*(name|version|apiVersion)/,
    ],
    [
      "a Content-Length that lies about a blob",
      async (x) => {
        if (!isGet(x, "blobs") || !x.url.pathname.endsWith(good.content)) return;
        const bytes = new Uint8Array(await (await x.forward()).arrayBuffer());
        const longer = new Uint8Array(bytes.byteLength + 100);
        longer.set(bytes);
        return new Response(longer);
      },
      "chart",
      /announced \d+ bytes for blob sha256:[0-9a-f]{64}, expected \d+$/,
    ],
    [
      "a manifest whose bytes are not the digest the registry names",
      async (x) => {
        if (x.request.method !== "GET" || !x.url.pathname.includes("/manifests/")) return;
        const text = await (await x.forward()).text();
        return new Response(`${text}\n`, {
          headers: {
            "content-type": "application/vnd.oci.image.manifest.v1+json",
            "docker-content-digest": good.manifest,
          },
        });
      },
      "chart",
      /digest mismatch: the registry named sha256:[0-9a-f]{64}, got sha256:[0-9a-f]{64}$/,
    ],
  ];
  for (const [what, fault, repo, message] of cases) {
    await t.step(what, async () => {
      lie = fault;
      const ref = `${proxy.host}/lies/${repo}:1.0.0`;
      const result = expectCode(await box.run(["chart", "pull", ref]), 1);
      const lines = result.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, result.stderr);
      assert.ok(lines[0].startsWith(`Error: ${ref}: `), lines[0]);
      assert.match(lines[0], message);
      assert.deepEqual(await files(cache), before, "the cache is unchanged");
    });
  }
  lie = () => undefined;
  const audit = await auditCache(cache);
  assert.deepEqual(audit.problems, []);
  assert.deepEqual(audit.refs.length, 2);
});
