/**
 * Typed errors raised by h3's core. Each kind names a user-facing problem; the CLI (`main.ts`)
 * decides the exit code each kind ends with, and `errorMessage` gives the one line shown.
 * @module
 */

/**
 * What the user can do about an error, as data (the CLI words it, naming its commands and flags):
 * log in to `registry`, check the credentials stored for it, trust the registry's private CA
 * (`caFile`), or speak plain HTTP to it (`plainHttp`).
 */
export type Remedy =
  | { kind: "login"; registry: string }
  | { kind: "checkLogin"; registry: string }
  | { kind: "caFile"; registry: string }
  | { kind: "plainHttp"; registry: string };

/** How an H3Error is made: its cause, and what the user can do about it. */
export interface H3ErrorOptions extends ErrorOptions {
  /** What the user can do about it. */
  remedy?: Remedy;
}

/** Base class of every error h3 raises on purpose: its message is fit to show a user as is. */
export class H3Error extends Error {
  /** The class name, shown in `--debug` traces. */
  override name = "H3Error";
  /** What the user can do about it, when h3 knows (the message does not say it). */
  remedy?: Remedy;
  /** An error with a message fit to show a user; `options.cause` keeps what caused it. */
  constructor(message: string, options?: H3ErrorOptions) {
    super(message, options);
    if (options?.remedy) this.remedy = options.remedy;
  }
}

/** The remedy of `error`, or of the first error in its chain of causes that has one. */
export function remedyOf(error: unknown): Remedy | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    if (e instanceof H3Error && e.remedy) return e.remedy;
  }
  return undefined;
}

/** A malformed or unsupported reference (`registry/repo:tag@digest`): bad input. */
export class RefError extends H3Error {
  /** The class name. */
  override name = "RefError";
}

/** A chart that breaks Helm's rules: bad Chart.yaml, unsafe archive, not a Helm chart. */
export class ChartError extends H3Error {
  /** The class name. */
  override name = "ChartError";
}

/** A problem with the local cache: unknown ref, missing blob, a lock that cannot be taken. */
export class CacheError extends H3Error {
  /** The class name. */
  override name = "CacheError";
}

/** Content that does not match its descriptor: wrong digest, wrong size, too large. */
export class DigestError extends H3Error {
  /** The class name. */
  override name = "DigestError";
}

/** The registry answered with an error; `code` is the distribution error code when it sent one. */
export class RegistryError extends H3Error {
  /** The class name. */
  override name = "RegistryError";
  /** HTTP status of the failing response (0 when there was no response). */
  status: number;
  /** Distribution-spec error code (`MANIFEST_UNKNOWN`, `DENIED`, ...), when the registry sent one. */
  code?: string;
  /** An error the registry answered with: its HTTP `status` and distribution `code`. */
  constructor(message: string, status: number, code?: string, options?: H3ErrorOptions) {
    super(message, options);
    this.status = status;
    this.code = code;
  }
}

/** Authentication failed or credentials could not be read or stored. */
export class AuthError extends H3Error {
  /** The class name. */
  override name = "AuthError";
}

/**
 * A signature, key or provenance problem: a key that cannot be read, a signature that is missing,
 * does not verify, or does not vouch for what is being pulled.
 */
export class SignatureError extends H3Error {
  /** The class name. */
  override name = "SignatureError";
}

/** A plugin could not be added, loaded or run. */
export class PluginError extends H3Error {
  /** The class name. */
  override name = "PluginError";
}

/** The user called a command wrongly: missing argument, bad flag value. */
export class UsageError extends H3Error {
  /** The class name. */
  override name = "UsageError";
}

/** Several refs were processed and some failed; each failure was already reported. */
export class PartialFailure extends H3Error {
  /** The class name. */
  override name = "PartialFailure";
}

/** One line that tells the user what went wrong, without a stack trace. */
export function errorMessage(error: unknown): string {
  if (error instanceof H3Error) return error.message;
  if (error instanceof Deno.errors.NotFound) return error.message;
  if (error instanceof Deno.errors.PermissionDenied) return error.message;
  if (error instanceof Error) {
    return `${error.name === "Error" ? "" : error.name + ": "}${error.message}`;
  }
  return String(error);
}
