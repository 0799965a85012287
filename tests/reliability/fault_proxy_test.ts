/**
 * The test helpers keep a passing run's log clean: the fault proxy's stalled bodies end without a
 * stack trace, and without Deno's warning about the legacy `request.signal` behaviour.
 */
import assert from "node:assert/strict";

const script = `
import { startFaultProxy } from "./tests/helpers/fault_proxy.ts";
const proxy = startFaultProxy("http://127.0.0.1:9", ({ stall }) => stall(new Uint8Array(10), 100));
for (let i = 0; i < 2; i++) {
  const client = new AbortController();
  const response = await fetch(proxy.url + "/v2/r/blobs/x", { signal: client.signal });
  const reader = response.body!.getReader();
  await reader.read();
  client.abort(); // the client hangs up mid-body
  await reader.read().catch(() => {});
}
const response = await fetch(proxy.url + "/v2/r/blobs/y"); // left hanging when the proxy stops
const reading = response.body!.getReader().read().then(() => {}, () => {});
await new Promise((resolve) => setTimeout(resolve, 100));
await proxy[Symbol.asyncDispose]();
await reading;
console.log("done");
`;

Deno.test("stalled bodies end quietly when the client hangs up or the proxy stops", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", "--ext=ts", script],
    cwd: new URL("../..", import.meta.url).pathname,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, text);
  assert.equal(text, "done\n");
});
