/**
 * A TCP relay on 127.0.0.1 in front of a registry that holds each piece of the registry's answers
 * for a while before passing it on: a registry as far away as a network's round trip, for the
 * cases that show how many round trips a command waits for one after another.
 * @module
 */

/** A relay: the address to use instead of the registry's; dispose it to stop it. */
export interface Delay extends AsyncDisposable {
  /** `127.0.0.1:PORT`. */
  host: string;
}

/** Starts a relay to `target` (`HOST:PORT`) that adds `ms` to each piece the registry sends. */
export function startDelay(target: string, ms: number): Delay {
  const [hostname, port] = target.split(":");
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  const relay = async (client: Deno.Conn) => {
    const server = await Deno.connect({ hostname, port: Number(port) });
    open.add(client).add(server);
    const held = new TransformStream<Uint8Array, Uint8Array>({
      transform: (chunk, controller) =>
        new Promise((resolve) => setTimeout(() => resolve(controller.enqueue(chunk)), ms)),
    });
    await Promise.allSettled([
      client.readable.pipeTo(server.writable),
      server.readable.pipeThrough(held).pipeTo(client.writable),
    ]);
    open.delete(client);
    open.delete(server);
  };
  const accepting = (async () => {
    for await (const client of listener) relay(client).catch(() => client.close());
  })().catch(() => {});
  const { port: local } = listener.addr as Deno.NetAddr;
  return {
    host: `127.0.0.1:${local}`,
    async [Symbol.asyncDispose]() {
      listener.close();
      for (const conn of open) {
        try {
          conn.close();
        } catch { /* closed already */ }
      }
      await accepting;
    },
  };
}
