/**
 * `deno task registry [--port N]`: a registry to try h3 with. Starts Debian's `docker-registry`
 * (registry:2) on localhost:5000 (127.0.0.1) with a temporary store, says where it listens, and on
 * Ctrl-C stops it and removes the store. Without `docker-registry` it says how to get one, exit 1.
 * @module
 */
import { freePort, registryConfigYaml, waitForPort } from "./_registry.ts";

const usage = "usage: deno task registry [--port N]   (default port 5000; 0 picks a free one)";

const missing = [
  "docker-registry was not found on PATH. Get a registry to try h3 with:",
  "  Debian/Ubuntu:  sudo apt-get install docker-registry   (then run `deno task registry` again)",
  "  Docker:         docker run --rm -p 5000:5000 registry:2",
].join("\n");

function parsePort(args: string[]): number {
  if (args.length === 0) return 5000;
  const value = args[0] === "--port" ? args[1] : args[0].match(/^--port=(.*)$/)?.[1];
  const port = Number(value);
  if (value === undefined || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(usage);
  }
  return port;
}

function portFree(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) return false;
    throw error;
  }
}

async function main(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(usage);
    return 0;
  }
  let port: number;
  try {
    port = parsePort(args);
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  if (port === 0) port = freePort();
  else if (!portFree(port)) {
    console.error(`127.0.0.1:${port} is already in use (a registry running?); try --port N`);
    return 1;
  }
  const dir = await Deno.makeTempDir({ prefix: "h3-registry-" });
  const removeStore = () => Deno.remove(dir, { recursive: true }).catch(() => {});
  const config = `${dir}/config.yml`;
  await Deno.writeTextFile(config, registryConfigYaml(`${dir}/storage`, `127.0.0.1:${port}`));
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("docker-registry", {
      args: ["serve", config],
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
  } catch (error) {
    await removeStore();
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    console.error(missing);
    return 1;
  }
  let stopped = false;
  const stop = () => {
    stopped = true;
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
  };
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const signal of signals) Deno.addSignalListener(signal, stop);
  try {
    if (!await waitForPort(port, child)) {
      console.error(`docker-registry did not start on 127.0.0.1:${port}`);
      return 1;
    }
    console.log(`Registry listening on localhost:${port} (store ${dir}/storage, removed on exit)`);
    console.log(`Try: h3 chart push localhost:${port}/myrepo/mychart:latest   Stop: Ctrl-C`);
    const status = await child.status;
    if (!stopped) {
      console.error(`docker-registry exited (${status.signal ?? `code ${status.code}`})`);
    }
    return stopped || status.success ? 0 : status.code || 1;
  } finally {
    for (const signal of signals) Deno.removeSignalListener(signal, stop);
    await child.status;
    await removeStore();
  }
}

if (import.meta.main) {
  Deno.exitCode = await main(Deno.args);
}
