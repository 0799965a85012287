/**
 * Flags every command that talks to registries shares (`--plain-http`, `--ca-file`, `--cert-file`,
 * `--key-file`, `--insecure-skip-tls-verify`, `--concurrency`, `--timeout`, `--username` with
 * `--password-stdin` or `--password`), and how they become repositories: per host, flags win over
 * `H3_*` variables, which win over the config file; the command's credentials, else the stored
 * ones, answer the registry's challenges; `--debug` logs each request on stderr.
 * @module
 */
import type { ArgValues } from "gunshi/definition";
import { printError, safeLine } from "./ui/safe_text.ts";
import { timeoutValue, type TransportFlags } from "../core/config.ts";
import type { Credential } from "../core/auth/types.ts";
import { describeWarning, UsageError } from "./_errors.ts";
import type { H3 } from "../core/h3.ts";

/** gunshi argument definitions for the transport flags. */
export const transportArgs = {
  "plain-http": {
    type: "boolean",
    description: "Use plain HTTP instead of HTTPS (loopback registries use it by default)",
  },
  "ca-file": { type: "string", description: "Trust this PEM CA certificate for the registry" },
  "cert-file": { type: "string", description: "Client certificate (PEM) for mutual TLS" },
  "key-file": { type: "string", description: "Private key (PEM) of --cert-file" },
  "insecure-skip-tls-verify": {
    type: "boolean",
    description: "Accept any server certificate (unsafe; test registries only)",
  },
  concurrency: {
    type: "number",
    description: "How many refs to transfer at once (default 8, or H3_CONCURRENCY, or the config)",
  },
  timeout: {
    type: "number",
    description:
      "Seconds a registry may stay silent before a request is abandoned (default 60, or H3_TIMEOUT)",
  },
  username: {
    type: "string",
    description: "Username for the registries this command names, instead of stored logins",
  },
  password: {
    type: "string",
    description: "Password for --username (insecure: visible to other users; use --password-stdin)",
  },
  "password-stdin": { type: "boolean", description: "Read the password for --username from stdin" },
} as const;

/** The values gunshi parsed for `transportArgs` (declared once, by the flags themselves). */
export type TransportValues = Partial<ArgValues<typeof transportArgs>>;

/** Everything on stdin, without the trailing line break (`echo $PW | ... --password-stdin`). */
export async function readStdin(): Promise<string> {
  const text = await new Response(Deno.stdin.readable).text();
  return text.replace(/\r?\n$/, "");
}

/**
 * The command's own credentials (`--username` with `--password-stdin` or `--password`), read
 * when first asked for; undefined without `--username`. Wrong combinations are usage errors, and
 * `--password` prints a warning.
 */
function commandCredential(
  values: TransportValues,
): (() => Promise<Credential | undefined>) | undefined {
  const { username, password } = values;
  const stdin = values["password-stdin"] === true;
  if (password !== undefined && stdin) {
    throw new UsageError("--password and --password-stdin cannot be used together");
  }
  if (username === undefined) {
    if (password !== undefined || stdin) {
      throw new UsageError(`${stdin ? "--password-stdin" : "--password"} needs --username`);
    }
    return undefined;
  }
  if (username === "") throw new UsageError("the username is empty");
  if (password === undefined && !stdin) {
    throw new UsageError("--username needs --password-stdin (or --password)");
  }
  if (password !== undefined) {
    printError("WARNING! Using --password via the CLI is insecure. Use --password-stdin.");
  }
  let read: Promise<Credential> | undefined;
  return () =>
    read ??= (async () => {
      const secret = password ?? await readStdin();
      if (!secret) throw new UsageError("the password is empty");
      return { username, password: secret };
    })();
}

/** The flags as `core/config.ts` takes them: undefined where a flag was not given. */
export function transportFlags(values: TransportValues): TransportFlags {
  const n = values.concurrency;
  if (n !== undefined && (!Number.isInteger(n) || n < 1 || n > 256)) {
    throw new UsageError(`invalid --concurrency "${n}": must be a whole number from 1 to 256`);
  }
  const seconds = values.timeout;
  if (seconds !== undefined) {
    timeoutValue(seconds, (problem) => {
      throw new UsageError(`invalid --timeout "${seconds}": ${problem}`);
    });
  }
  return {
    plainHttp: values["plain-http"] || undefined,
    caFile: values["ca-file"],
    certFile: values["cert-file"],
    keyFile: values["key-file"],
    insecureSkipTlsVerify: values["insecure-skip-tls-verify"] || undefined,
    concurrency: n,
    timeoutMs: seconds === undefined ? undefined : seconds * 1000,
    credential: commandCredential(values),
  };
}

/** Whether `--debug` (or `H3_DEBUG=1`) is on: main.ts strips the flag, `Deno.args` keeps it. */
export function debugEnabled(): boolean {
  return Deno.args.includes("--debug") || Deno.env.get("H3_DEBUG") === "1";
}

/**
 * The client a command runs on: `flags` over the `H3_*` variables and the config, warnings on
 * stderr, each request on stderr with `--debug`. Open it with `await using`.
 */
export async function openCommandClient(flags: TransportFlags = {}): Promise<H3> {
  // Loaded when a command runs, so the modules that only parse flags stay light.
  const { openH3 } = await import("../core/client.ts");
  return await openH3({
    ...flags,
    debug: debugEnabled() ? (line) => printError(line) : undefined,
    onWarning: (message, problem) =>
      printError(`Warning: ${safeLine(describeWarning(message, problem))}`),
  });
}
