/**
 * Questions asked on the terminal (a username, a password): a hidden answer is read with echo off,
 * and the terminal is left sane however the question ends, SIGINT or SIGTERM included.
 * @module
 */
import { onInterrupt } from "../core/interrupt.ts";

/** The longest answer read (bytes): a bound on the loop, far above any password. */
const maxAnswer = 4096;

/**
 * Asks `question` on stderr and reads a line from the terminal, a byte at a time (so nothing typed
 * ahead for a next question is consumed). With `hidden`, the terminal is in raw mode while it
 * reads (no echo) and a cleanup registered with `onInterrupt` restores it if the process is
 * stopped by a signal meanwhile. Ctrl-C, and Ctrl-D on an empty line, throw `cancelled()`.
 */
export async function askTerminal(
  question: string,
  options: { hidden: boolean; cancelled: () => Error },
): Promise<string> {
  const encoder = new TextEncoder();
  let restore = () => {};
  let forget = () => {};
  if (options.hidden) {
    Deno.stdin.setRaw(true); // before the prompt, so nothing typed early is echoed
    let restored = false;
    restore = () => {
      if (restored) return;
      restored = true;
      Deno.stdin.setRaw(false);
      Deno.stderr.writeSync(encoder.encode("\n")); // what follows starts on a line of its own
    };
    forget = onInterrupt(restore);
  }
  const bytes: number[] = [];
  try {
    await Deno.stderr.write(encoder.encode(question));
    const buffer = new Uint8Array(1);
    while (bytes.length < maxAnswer) {
      const n = await Deno.stdin.read(buffer);
      const byte = buffer[0];
      if (n === null || byte === 0x0a || byte === 0x0d) break;
      if (byte === 0x03 || (byte === 0x04 && bytes.length === 0)) throw options.cancelled();
      if (byte === 0x7f || byte === 0x08) bytes.pop();
      else bytes.push(byte);
    }
  } finally {
    forget();
    restore();
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}
