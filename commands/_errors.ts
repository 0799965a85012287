/**
 * Errors as the CLI words them: core's one-line message, then what the user can do about it (the
 * error's remedy) in terms of h3's commands and flags.
 * @module
 */
import { errorMessage, type Remedy, remedyOf } from "../core/errors.ts";

/** The words for a remedy, appended to the message. */
function remedyText(remedy: Remedy): string {
  switch (remedy.kind) {
    case "login":
      return `; log in with "h3 registry login ${remedy.registry}"`;
    case "checkLogin":
      return `; check your credentials ("h3 registry login ${remedy.registry}")`;
    case "caFile":
      return "; if the registry uses a private CA, pass --ca-file with its CA certificate " +
        "(or --insecure-skip-tls-verify for a test registry)";
    case "plainHttp":
      return "; pass --plain-http if it serves plain HTTP";
  }
}

/** One line that tells the user what went wrong and, when h3 knows, what to do about it. */
export function describeError(error: unknown): string {
  const remedy = remedyOf(error);
  return errorMessage(error) + (remedy ? remedyText(remedy) : "");
}
