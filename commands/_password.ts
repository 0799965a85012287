/** The password of an encrypted signing key: from a variable, else asked on the terminal. @module */
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

/**
 * A password from the variable `variable` (even empty), else asked on the terminal: cosign's
 * `COSIGN_PASSWORD`, Helm's `HELM_KEY_PASSPHRASE`.
 */
export function passwordFrom(variable: string, keyName: string): PasswordSource {
  return async () => {
    const env = Deno.env.get(variable);
    if (env !== undefined) return env;
    if (!Deno.stdin.isTerminal()) {
      throw new SignatureError(
        `${keyName} is encrypted: set ${variable} (no terminal to ask for the password)`,
      );
    }
    return await prompt(`Enter password for private key ${keyName}: `);
  };
}
