import assert from "node:assert/strict";
import pLimit from "p-limit";
import { expectCode, sandbox } from "../helpers/cli.ts";
import { cutOff, type Exchange, startFaultProxy } from "../helpers/fault_proxy.ts";
import { startDropFront } from "../helpers/faults.ts";
import { startRegistry } from "../helpers/registry.ts";
import { auditCache, treeDigests, writeChart } from "../helpers/reliability.ts";

const isBlobGet = (x: Exchange) =>
  x.request.method === "GET" && x.url.pathname.includes("/blobs/sha256:");

Deno.test("bulk push and pull of 20 charts through 503s, cut-off downloads and dropped uploads", async () => {
  await using registry = await startRegistry();
  const served = { unavailable: 0, cut: 0 };
  let requests = 0;
  let blobGets = 0;
  // Each request is refused once at most: retries that land together after the Retry-After
  // second could otherwise meet every 5th request's 503 five times running and give up.
  const refused = new Set<string>();
  await using proxy = startFaultProxy(registry.url, async (x) => {
    const key = `${x.request.method} ${x.url.pathname}${x.url.search}`;
    if (++requests % 5 === 0 && !refused.has(key)) {
      refused.add(key);
      served.unavailable++;
      return new Response("busy", { status: 503, headers: { "retry-after": "1" } });
    }
    // (A resumed download is left whole: cutting it would turn its 206 into a lying 200.)
    if (isBlobGet(x) && !x.request.headers.has("range") && ++blobGets % 7 === 0) {
      served.cut++;
      const whole = new Uint8Array(await (await x.forward()).arrayBuffer());
      return cutOff(whole, whole.byteLength >> 1);
    }
    return undefined;
  });
  // In front: every 3rd upload's connection drops, once before and once after the registry got it.
  let uploads = 0;
  await using front = startDropFront(proxy.host, (method, path) => {
    if (method !== "PUT" || !path.includes("/blobs/uploads/")) return undefined;
    uploads++;
    return uploads === 3 ? "before" : uploads === 6 ? "after" : undefined;
  });

  await using pusher = await sandbox();
  const refs = Array.from({ length: 20 }, (_, i) => `${front.host}/net/c${i}:1.0.0`);
  const limit = pLimit(4);
  await Promise.all(refs.map((ref, i) =>
    limit(async () => {
      const dir = await writeChart(`${pusher.dir}/src`, `c${i}`);
      expectCode(await pusher.run(["chart", "save", dir, ref]), 0);
    })
  ));
  const pushed = expectCode(await pusher.run(["chart", "push", ...refs]), 0);
  assert.equal(pushed.stdout.match(/^1\.0\.0: pushed to remote \(2 layers, /gm)?.length, 20);

  await using puller = await sandbox();
  const pulled = expectCode(await puller.run(["chart", "pull", ...refs]), 0);
  assert.equal(pulled.stdout.match(/^Status: Downloaded newer chart for /gm)?.length, 20);

  const source = await auditCache(`${pusher.helmHome}/registry`);
  const copy = await auditCache(`${puller.helmHome}/registry`);
  assert.deepEqual(copy.problems, []);
  assert.deepEqual(copy.manifests, source.manifests, "the same manifests, byte for byte");
  expectCode(await puller.run(["chart", "export", refs[7], "--destination", "out"]), 0);
  assert.deepEqual(
    await treeDigests(`${puller.dir}/out/c7`),
    await treeDigests(`${pusher.dir}/src/c7`),
  );

  assert.ok(served.unavailable >= 10, `${served.unavailable} 503s`);
  assert.ok(served.cut >= 3, `${served.cut} cut-off downloads`);
  assert.equal(front.dropped.length, 2, "two uploads dropped");
});

Deno.test("a registry that stays down fails in bounded time with one clear line", async () => {
  await using registry = await startRegistry();
  await using box = await sandbox();
  await using proxy = startFaultProxy(registry.url, () => new Response("down", { status: 503 }));
  const ref = `${proxy.host}/down/chart:1.0.0`;
  expectCode(await box.run(["chart", "save", await writeChart(box.dir, "chart"), ref]), 0);

  for (const command of ["push", "pull"]) {
    const started = Date.now();
    const result = expectCode(await box.run(["chart", command, ref]), 1);
    const seconds = (Date.now() - started) / 1000;
    assert.ok(seconds < 15, `${command} gave up after ${seconds} s`);
    const lines = result.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0], /^Error: .*\(HTTP 503\) \(gave up after 5 attempts\)$/);
    assert.ok(lines[0].includes(ref), lines[0]);
  }

  // Nothing listening at all: refused at once, not retried.
  const gone = `127.0.0.1:${proxy.host.split(":")[1]}`;
  await proxy[Symbol.asyncDispose]();
  const started = Date.now();
  const result = expectCode(await box.run(["chart", "pull", `${gone}/down/chart:1.0.0`]), 1);
  assert.ok(Date.now() - started < 5000);
  assert.match(
    result.stderr,
    new RegExp(`^Error: .*cannot connect to ${gone}: connection refused\n$`),
  );

  // A port Deno's fetch refuses (the Fetch standard's blocked ports): said at once, not retried.
  const refusing = Date.now();
  const blocked = expectCode(await box.run(["chart", "pull", "127.0.0.1:6000/x/chart:1.0.0"]), 1);
  assert.ok(Date.now() - refusing < 5000);
  assert.equal(
    blocked.stderr,
    "Error: 127.0.0.1:6000/x/chart:1.0.0: cannot connect to 127.0.0.1:6000: Deno's fetch refuses " +
      "port 6000 (a port the Fetch standard blocks); serve the registry on another port\n",
  );
});

// A registry that never answers, or stops sending mid-body, is given up on after H3_TIMEOUT
// seconds of silence: the request is retried, the download resumed.
Deno.test({
  name: "a registry that stalls is timed out, retried or resumed, and the pull completes",
  fn: async () => {
    await using registry = await startRegistry();
    await using pusher = await sandbox();
    const refs = Array.from({ length: 3 }, (_, i) => `${registry.host}/stall/c${i}:1.0.0`);
    for (const [i, ref] of refs.entries()) {
      expectCode(
        await pusher.run(["chart", "save", await writeChart(pusher.dir, `c${i}`), ref]),
        0,
      );
    }
    expectCode(await pusher.run(["chart", "push", ...refs]), 0);
    const release = Promise.withResolvers<void>();
    let heads = 0;
    let gets = 0;
    await using proxy = startFaultProxy(registry.url, async (x) => {
      // The first manifest HEAD never gets an answer; the first blob GET stops halfway.
      if (x.request.method === "HEAD" && x.url.pathname.includes("/manifests/") && heads++ === 0) {
        await release.promise;
        return new Response(null, { status: 503 });
      }
      if (!isBlobGet(x) || gets++ > 0) return undefined;
      const whole = new Uint8Array(await (await x.forward()).arrayBuffer());
      return x.stall(whole.slice(0, whole.byteLength >> 1), whole.byteLength);
    });
    try {
      await using puller = await sandbox();
      const started = Date.now();
      const pulled = expectCode(
        await puller.run(
          ["chart", "pull", ...refs.map((r) => r.replace(registry.host, proxy.host))],
          { env: { H3_TIMEOUT: "2" } },
        ),
        0,
      );
      assert.ok(Date.now() - started < 15_000);
      assert.equal(pulled.stdout.match(/^Status: Downloaded newer chart/gm)?.length, 3);
      assert.deepEqual((await auditCache(`${puller.helmHome}/registry`)).problems, []);
    } finally {
      release.resolve();
    }
  },
});
