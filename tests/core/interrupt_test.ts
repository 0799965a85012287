/**
 * Ctrl-C and SIGTERM: transfers stop, this process's temp files go, progress bars are erased,
 * one line is printed and h3 exits with 130.
 */
import assert from "node:assert/strict";
import { runInterrupts } from "../../core/interrupt.ts";
import { ProgressBars } from "../../commands/ui/progress.ts";
import { writeTree } from "../helpers/charts.ts";
import { expectCode, h3Command, sandbox } from "../helpers/cli.ts";
import { startFaultProxy } from "../helpers/fault_proxy.ts";
import { startRegistry } from "../helpers/registry.ts";
import { dirNames } from "../helpers/files.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.test(`${signal} during a pull: one line, exit 130, no temp file left`, async () => {
    await using registry = await startRegistry();
    await using box = await sandbox();
    // A chart whose content is 4 MiB of random bytes (gzip leaves it that size).
    const big = crypto.getRandomValues(new Uint8Array(65536));
    const data = new Uint8Array(4 * 1024 * 1024);
    for (let i = 0; i < 64; i++) data.set(big.map((b) => b ^ i), i * 65536);
    await writeTree(`${box.dir}/big`, {
      "Chart.yaml": "apiVersion: v2\nname: big\nversion: 1.0.0\n",
      "files/data.bin": data,
    });
    const ref = `${registry.host}/team/big:1.0.0`;
    expectCode(await box.run(["chart", "save", "big", ref]), 0);
    expectCode(await box.run(["chart", "push", ref]), 0);
    expectCode(await box.run(["chart", "remove", ref]), 0);

    // The content blob's body stops after 1 MiB and hangs there.
    await using proxy = startFaultProxy(registry.url, async ({ request, url, forward, stall }) => {
      if (request.method !== "GET" || !url.pathname.includes("/blobs/")) return undefined;
      const answer = await forward();
      const bytes = new Uint8Array(await answer.arrayBuffer());
      if (bytes.byteLength < 1024 * 1024) return new Response(bytes, answer);
      return stall(bytes.slice(0, 1024 * 1024), bytes.byteLength);
    });
    const proxied = `${proxy.host}/team/big:1.0.0`;
    const child = h3Command(["chart", "pull", proxied], { cwd: box.dir, env: box.env }).spawn();
    const output = child.output();
    const temps = `${box.helmHome}/registry/.tmp`;
    const mine = async () => (await dirNames(temps)).filter((n) => n.startsWith(`${child.pid}-`));
    let waited = 0;
    while ((await mine()).length === 0 && waited < 30_000) {
      await sleep(20);
      waited += 20;
    }
    assert.ok((await mine()).length > 0, "the pull was writing a temp file");
    child.kill(signal);
    const result = await output;
    const stderr = new TextDecoder().decode(result.stderr);
    assert.equal(result.code, 130, stderr);
    assert.equal(stderr, `Error: interrupted (${signal}); this run's temp files were removed\n`);
    assert.deepEqual(await mine(), [], "its temp files are gone");
    const list = expectCode(await box.run(["chart", "list", "-o", "json"]), 0);
    assert.deepEqual(JSON.parse(list.stdout), [], "nothing half-pulled is listed");
  });
}

Deno.test("an interrupt erases the progress bars drawn on the terminal", async () => {
  let screen = "";
  const bars = new ProgressBars((text) => screen += text);
  bars.around(() => {}); // nothing drawn yet
  bars.start("a", "1234567: content", 100);
  bars.update("a", 50);
  await sleep(300); // the bars redraw on a timer
  assert.match(screen, /1234567: content \[/);
  await runInterrupts();
  assert.ok(screen.endsWith("\x1b[1A\x1b[J"), JSON.stringify(screen));
});

Deno.test("a push interrupted in a chunked upload resumes from the registry's offset", async () => {
  await using registry = await startRegistry();
  await using box = await sandbox();
  // 20 MiB of incompressible content: three PATCH chunks of 8 MiB.
  const data = crypto.getRandomValues(new Uint8Array(65536));
  const big = new Uint8Array(20 * 1024 * 1024);
  for (let i = 0; i < 320; i++) big.set(data.map((b) => b ^ (i & 0xff) ^ (i >> 8)), i * 65536);
  await writeTree(`${box.dir}/big`, {
    "Chart.yaml": "apiVersion: v2\nname: big\nversion: 1.0.0\n",
    "files/data.bin": big,
  });
  let hold = true;
  let release!: () => void;
  const held = new Promise<void>((resolve) => release = resolve);
  // While `hold`, the second PATCH hangs: the first 8 MiB are in the registry.
  let patches = 0;
  await using proxy = startFaultProxy(registry.url, async ({ request }) => {
    if (request.method !== "PATCH" || !hold || patches++ < 1) return undefined;
    await held;
    return new Response("stopped", { status: 503 });
  });
  const ref = `${proxy.host}/team/big:1.0.0`;
  expectCode(await box.run(["chart", "save", "big", ref]), 0);
  const child = h3Command(["chart", "push", ref], { cwd: box.dir, env: box.env }).spawn();
  const output = child.output();
  for (let waited = 0; patches < 2 && waited < 60_000; waited += 20) await sleep(20);
  assert.equal(patches, 2, "the push reached its second chunk");
  child.kill("SIGINT");
  assert.equal((await output).code, 130);
  hold = false;
  release();

  const before = proxy.log.length;
  const pushed = expectCode(await box.run(["chart", "push", ref]), 0);
  assert.match(pushed.stdout, /^1\.0\.0: pushed to remote/m);
  const rerun = proxy.log.slice(before);
  assert.ok(
    rerun.some((r) => r.method === "GET" && r.path.includes("/blobs/uploads/")),
    "the upload's offset was asked for",
  );
  const ranges = rerun.filter((r) => r.method === "PATCH").map((r) =>
    r.headers.get("content-range")
  );
  assert.equal(ranges[0], "8388608-16777215", ranges.join(", "));
  assert.ok(!ranges.some((r) => r?.startsWith("0-")), "nothing sent twice");
  // What the registry holds is the chart, whole.
  expectCode(await box.run(["chart", "remove", ref]), 0);
  expectCode(await box.run(["chart", "pull", ref]), 0);
  const exported = ["chart", "export", ref, "-d", "out", "--max-file-size", "64MiB"];
  expectCode(await box.run(exported), 0);
  assert.deepEqual(await Deno.readFile(`${box.dir}/out/big/files/data.bin`), big);
});
