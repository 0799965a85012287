/**
 * Errors as the CLI words them: core's one-line message, then what the user can do about it (the
 * error's remedy) in terms of h3's commands and flags.
 * @module
 */
import {
  errorMessage,
  firstLine,
  H3Error,
  LocationError,
  type Naming,
  type Remedy,
  remedyOf,
} from "../core/errors.ts";

/** The user called a command wrongly: missing argument, bad flag value. Exit code 2. */
export class UsageError extends H3Error {
  /** The class name. */
  override name = "UsageError";
}

/** Options whose flag is not their name in kebab case. */
const flagNames: Record<string, string> = {
  identities: "--certificate-*",
  keyrings: "--keyring",
  keys: "--key",
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
 * Core's words for `error` itself and the CLI's for them, where the CLI words it differently
 * (core's text may have been taken into a longer message).
 */
function cliWords(error: H3Error): [string, string] | undefined {
  if (error.phrase) return [error.phrase.text(), error.phrase.text(cliNaming)];
  if (error instanceof LocationError && error.problem === "noReference") {
    return [
      LocationError.text(error),
      `${error.chart} has no tag: name the ref in the layout (${error.location}:REF)`,
    ];
  }
  return undefined;
}

/**
 * Core's message worded for the command line (options as flags, operations as commands): each
 * error in the chain of causes the CLI words, wherever its text was taken into a message.
 */
function cliMessage(error: unknown): string {
  let text = errorMessage(error);
  for (let e = error, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    const words = e instanceof H3Error ? cliWords(e) : undefined;
    if (words) text = text.replaceAll(...words);
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
    case "addPluginAgain":
      return `; if the change is yours, add it again with "h3 plugin add --force SOURCE"`;
    case "removePlugin":
      return `; remove it first with "h3 plugin remove ${remedy.plugin}"`;
    case "compiledPlugins":
      return " (a compiled h3 runs only TypeScript plugins built into it with " +
        "`deno task compile --plugin PATH`, and executable plugins)";
  }
}

/**
 * A warning as the CLI prints it (without `Warning: `): core's message, or the error it stands for
 * worded as `describeError` words errors (flags, commands, the remedy), on one line.
 */
export function describeWarning(message: string, problem?: unknown): string {
  return problem instanceof H3Error ? firstLine(describeError(problem)) : message;
}

/** One line that tells the user what went wrong and, when h3 knows, what to do about it. */
export function describeError(error: unknown): string {
  const remedy = remedyOf(error);
  return cliMessage(error) + (remedy ? remedyText(remedy) : "");
}
