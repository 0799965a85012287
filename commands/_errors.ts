/**
 * Errors as the CLI words them: core's one-line message, then what the user can do about it (the
 * error's remedy) in terms of h3's commands and flags.
 * @module
 */
import { errorMessage, H3Error, type Naming, type Remedy, remedyOf } from "../core/errors.ts";

/** Options whose flag is not their name in kebab case. */
const flagNames: Record<string, string> = {
  maxSize: "--max-chart-size",
  timeoutMs: "--timeout",
  trust: "--verify",
};

/** The commands that run a client operation, as messages name them. */
const commandNames: Record<string, string> = {
  updateDependencies: "h3 chart dependency update",
};

/** How the CLI names what core's messages mention: flags, and commands in quotes. */
export const cliNaming: Naming = {
  option: (name) => flagNames[name] ?? `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
  operation: (name) => `"${commandNames[name] ?? name}"`,
};

/**
 * Core's message with the options and operations it names worded as flags and commands: each
 * phrase in the error's chain of causes, wherever its text was taken into a message.
 */
function cliMessage(error: unknown): string {
  let text = errorMessage(error);
  for (let e = error, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    if (e instanceof H3Error && e.phrase) {
      text = text.replaceAll(e.phrase.text(), e.phrase.text(cliNaming));
    }
  }
  return text;
}

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
  return cliMessage(error) + (remedy ? remedyText(remedy) : "");
}
