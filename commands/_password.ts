/** The password of an encrypted signing key: from a variable, else asked on the terminal. @module */
import { SignatureError } from "../core/errors.ts";
import type { PasswordSource } from "../core/sign/keys.ts";
import { askTerminal } from "./_prompt.ts";

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
    return await askTerminal(`Enter password for private key ${keyName}: `, {
      hidden: true,
      cancelled: () => new SignatureError("interrupted"),
    });
  };
}
