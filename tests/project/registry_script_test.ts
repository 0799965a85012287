import assert from "node:assert/strict";
import { freePort } from "../helpers/registry.ts";

const script = new URL("../../scripts/registry.ts", import.meta.url).pathname;

function start(args: string[], env?: Record<string, string>): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", script, ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Reads stdout until a line matching `pattern` arrives; returns the text read so far. */
async function readUntil(stream: ReadableStream<Uint8Array>, pattern: RegExp): Promise<string> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!pattern.test(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  reader.releaseLock();
  return text;
}

Deno.test("deno task registry serves a registry until Ctrl-C, then removes its store", async () => {
  const port = freePort();
  const child = start(["--port", String(port)]);
  const stderr = new Response(child.stderr).text();
  const out = await readUntil(child.stdout, /Ctrl-C/);
  assert.match(out, new RegExp(`^Registry listening on localhost:${port} \\(store (\\S+)/storage`));
  const store = out.match(/\(store (\S+)\/storage/)![1];
  const response = await fetch(`http://127.0.0.1:${port}/v2/`);
  assert.equal(response.status, 200);
  await response.body?.cancel();
  child.kill("SIGINT");
  const status = await child.status;
  await child.stdout.cancel().catch(() => {});
  assert.equal(status.code, 0, await stderr);
  await assert.rejects(Deno.stat(store), Deno.errors.NotFound);
  await assert.rejects(fetch(`http://127.0.0.1:${port}/v2/`));
});

Deno.test("deno task registry without docker-registry says how to get one", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", script, "--port", "0"],
    env: { PATH: "/nonexistent" },
  }).output();
  assert.equal(out.code, 1);
  const stderr = new TextDecoder().decode(out.stderr);
  assert.match(stderr, /docker-registry was not found/);
  assert.match(stderr, /apt-get install docker-registry/);
  assert.match(stderr, /docker run --rm -p 5000:5000 registry:2/);
});

Deno.test("deno task registry refuses a port already in use", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", script, `--port=${port}`],
  }).output();
  assert.equal(out.code, 1);
  assert.match(
    new TextDecoder().decode(out.stderr),
    new RegExp(`127.0.0.1:${port} is already in use`),
  );
});
