/** The password of an encrypted signing key: `COSIGN_PASSWORD`, else asked on the terminal. @module */
import { SignatureError } from "../core/errors.ts";
import type { PasswordSource } from "../core/sign/keys.ts";

/** Reads a line from the terminal without echoing it. */
async function prompt(question: string): Promise<string> {
  const encoder = new TextEncoder();
  await Deno.stderr.write(encoder.encode(question));
  Deno.stdin.setRaw(true);
  const bytes: number[] = [];
  try {
    const buffer = new Uint8Array(1);
    for (let i = 0; i < 4096; i++) {
      const n = await Deno.stdin.read(buffer);
      if (n === null || buffer[0] === 13 || buffer[0] === 10) break;
      if (buffer[0] === 3) throw new SignatureError("interrupted");
      if (buffer[0] === 127 || buffer[0] === 8) bytes.pop();
      else bytes.push(buffer[0]);
    }
  } finally {
    Deno.stdin.setRaw(false);
    await Deno.stderr.write(encoder.encode("\n"));
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** The password source cosign users expect: `COSIGN_PASSWORD` (even empty), else a prompt. */
export function cosignPassword(keyFile: string): PasswordSource {
  return async () => {
    const env = Deno.env.get("COSIGN_PASSWORD");
    if (env !== undefined) return env;
    if (!Deno.stdin.isTerminal()) {
      throw new SignatureError(
        `${keyFile} is encrypted: set COSIGN_PASSWORD (no terminal to ask for the password)`,
      );
    }
    return await prompt(`Enter password for private key ${keyFile}: `);
  };
}
