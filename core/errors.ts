/**
 * Typed errors raised by h3's core. Each kind names a user-facing problem; the CLI (`main.ts`)
 * decides the exit code each kind ends with, and `errorMessage` gives the one line shown.
 * @module
 */

/**
 * What the user can do about an error, as data (the CLI words it, naming its commands and flags):
 * log in to `registry`, check the credentials stored for it, trust the registry's private CA
 * (`caFile`), speak plain HTTP to it (`plainHttp`), add a changed plugin again (`addPluginAgain`,
 * forced), remove an installed plugin first (`removePlugin`), or, in a compiled h3 that cannot
 * import the plugin at `source`, build it in (`compiledPlugins`).
 */
export type Remedy =
  | { kind: "login"; registry: string }
  | { kind: "checkLogin"; registry: string }
  | { kind: "caFile"; registry: string }
  | { kind: "plainHttp"; registry: string }
  | { kind: "addPluginAgain"; plugin: string }
  | { kind: "removePlugin"; plugin: string }
  | { kind: "compiledPlugins"; source: string };

/** An option of a core operation named in a message (`option("caFile")`). */
export interface OptionMention {
  /** The option's name in the library (`caFile`, `allTags`); the CLI shows its flag. */
  option: string;
}

/** An operation of the client named in a message (`operation("updateDependencies")`). */
export interface OperationMention {
  /** The client method (`updateDependencies`); the CLI shows its command. */
  operation: string;
}

/** How a message names options and operations: the library's names, or the CLI's flags. */
export interface Naming {
  /** The words for an option (library: `caFile`; CLI: `--ca-file`). */
  option(name: string): string;
  /** The words for an operation (library: `updateDependencies()`; CLI: its command, quoted). */
  operation(name: string): string;
}

/** The library's naming: options by name, operations as method calls. */
export const libraryNaming: Naming = {
  option: (name) => name,
  operation: (name) => `${name}()`,
};

/**
 * Message text that names options or operations, made with the `phrase` tag: its text (and an
 * error's message) names them as the library does, and the CLI words them as flags and commands
 * (`text(naming)`).
 */
export class Phrase {
  readonly #strings: readonly string[];
  readonly #values: readonly unknown[];

  /** The parts of a tagged template: literal strings and the values between them. */
  constructor(strings: readonly string[], values: readonly unknown[]) {
    this.#strings = strings;
    this.#values = values;
  }

  /** The options this phrase names (nested phrases included). */
  get options(): string[] {
    return this.#values.flatMap((value) =>
      value instanceof Phrase ? value.options : isOption(value) ? [value.option] : []
    );
  }

  /** The text, with options and operations named by `naming`. */
  text(naming: Naming = libraryNaming): string {
    let out = this.#strings[0];
    this.#values.forEach((value, i) => {
      out += value instanceof Phrase
        ? value.text(naming)
        : isOption(value)
        ? naming.option(value.option)
        : isOperation(value)
        ? naming.operation(value.operation)
        : String(value);
      out += this.#strings[i + 1];
    });
    return out;
  }

  /** The text as the library names things. */
  toString(): string {
    return this.text();
  }
}

function isOption(value: unknown): value is OptionMention {
  return typeof value === "object" && value !== null && "option" in value;
}

function isOperation(value: unknown): value is OperationMention {
  return typeof value === "object" && value !== null && "operation" in value;
}

/**
 * Tags a template as a `Phrase`: `` phrase`invalid ${option("version")} "${input}"` ``.
 *
 * @example
 * ```ts
 * import { option, phrase } from "./errors.ts";
 *
 * const text = phrase`pass ${option("devel")} to allow pre-releases`;
 * console.log(text.text()); // pass devel to allow pre-releases
 * ```
 */
export function phrase(strings: TemplateStringsArray, ...values: unknown[]): Phrase {
  return new Phrase(strings, values);
}

/** Names option `name` (the library's name of it) in a `phrase`. */
export function option(name: string): OptionMention {
  return { option: name };
}

/** Names the client operation `name` (its method) in a `phrase`. */
export function operation(name: string): OperationMention {
  return { operation: name };
}

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
  /** The message as a phrase, when it names options or operations (the CLI words them). */
  phrase?: Phrase;
  /**
   * An error with a message fit to show a user (a `Phrase` when it names options or operations);
   * `options.cause` keeps what caused it.
   */
  constructor(message: string | Phrase, options?: H3ErrorOptions) {
    super(String(message), options);
    if (message instanceof Phrase) this.phrase = message;
    if (options?.remedy) this.remedy = options.remedy;
  }
}

/**
 * A setting that cannot be used: an option's value (`version`, `caFile`, ...), options that do not
 * go together, an `H3_*` or proxy variable, a certs.d folder. Bad input, as a usage error is.
 */
export class SettingError extends H3Error {
  /** The class name. */
  override name = "SettingError";
  /** The option (library name, e.g. `caFile`) or variable (`H3_TIMEOUT`) at fault. */
  setting: string;
  /** The value refused, when one was. */
  value?: string;
  /** An error about `detail.setting` (and its `detail.value`). */
  constructor(
    message: string | Phrase,
    detail: { setting: string; value?: string },
    options?: H3ErrorOptions,
  ) {
    super(message, options);
    this.setting = detail.setting;
    if (detail.value !== undefined) this.value = detail.value;
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
  constructor(message: string | Phrase, status: number, code?: string, options?: H3ErrorOptions) {
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

/**
 * A location that cannot be used where an OCI layout is wanted: not a layout at all
 * (`notLayout`: a registry reference where `oci:DIR[:REF]` or `oci-archive:FILE[:REF]` is needed),
 * or a layout that names no ref for a chart that has no tag to default to (`noReference`). Bad
 * input, as a usage error is.
 */
export class LocationError extends H3Error {
  /** The class name. */
  override name = "LocationError";
  /** The location as given (`oci:DIR`, `localhost:5000/charts/app`). */
  location: string;
  /** What is wrong with it. */
  problem: "notLayout" | "noReference";
  /** The chart being moved, as given, when the problem is its missing tag. */
  chart?: string;
  /** An error about `detail.location`; `detail.chart` names the chart for `noReference`. */
  constructor(detail: LocationProblem, options?: H3ErrorOptions) {
    super(LocationError.text(detail), options);
    this.location = detail.location;
    this.problem = detail.problem;
    if (detail.chart !== undefined) this.chart = detail.chart;
  }

  /** The library's message for a location problem. */
  static text({ location, problem, chart }: LocationProblem): string {
    return problem === "notLayout"
      ? `"${location}" is not an OCI layout: write oci:DIR[:REF] or oci-archive:FILE[:REF]`
      : `${chart} has no tag and ${location} names no ref to store it under`;
  }
}

/** What a `LocationError` is about: the location, its problem, the chart it concerns. */
export interface LocationProblem {
  /** The location as given. */
  location: string;
  /** What is wrong with it. */
  problem: "notLayout" | "noReference";
  /** The chart being moved, as given (for `noReference`). */
  chart?: string;
}

/**
 * An installed plugin whose module is not the one that was added: `file` has sha256 `actual`, the
 * manifest recorded `expected`. Its remedy is adding it again (forced), when the change is wanted.
 */
export class PluginChangedError extends PluginError {
  /** The class name. */
  override name = "PluginChangedError";
  /** The plugin's name. */
  plugin: string;
  /** The module file that changed. */
  file: string;
  /** The file's sha256 now (hex). */
  actual: string;
  /** The sha256 recorded when it was added (hex). */
  expected: string;
  /** The error for plugin `detail.plugin`, whose `detail.file` changed. */
  constructor(detail: { plugin: string; file: string; actual: string; expected: string }) {
    super(
      `plugin "${detail.plugin}" changed since it was added: ${detail.file} has sha256 ` +
        `${detail.actual}, not ${detail.expected}`,
      { remedy: { kind: "addPluginAgain", plugin: detail.plugin } },
    );
    this.plugin = detail.plugin;
    this.file = detail.file;
    this.actual = detail.actual;
    this.expected = detail.expected;
  }
}

/** Several refs were processed and some failed; each failure was already reported. */
export class PartialFailure extends H3Error {
  /** The class name. */
  override name = "PartialFailure";
}

/** The first line of an error's message (or of a string): import and parser errors run on for lines. */
export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0];
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

/**
 * What went wrong reading or writing a file, in a few words (`no such file`, `permission denied`,
 * `is a directory`), without Deno's `(os error N): readfile '...'` tail.
 */
export function fileProblem(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "no such file";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.IsADirectory) return "is a directory";
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/ \(os error \d+\).*$/s, "");
}
