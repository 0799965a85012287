/**
 * Flags every command that talks to registries shares (`--plain-http`, `--ca-file`, `--cert-file`,
 * `--key-file`, `--insecure-skip-tls-verify`, `--concurrency`, `--timeout`, `--username` with
 * `--password-stdin` or `--password`), and how they become repositories: per host, flags win over
 * `H3_*` variables, which win over the config file; the command's credentials, else the stored
 * ones, answer the registry's challenges; `--debug` logs each request on stderr.
 * @module
 */
import { printError } from "./ui/safe_text.ts";
import { defaultAuthorizer } from "../core/credentials.ts";
import {
  loadConfig,
  resolveConcurrency,
  timeoutValue,
  type TransportFlags,
  type TransportSettings,
  transportSettings,
} from "../core/config.ts";
import type { Credential } from "../core/auth/types.ts";
import { UsageError } from "../core/errors.ts";
import type { Reference } from "../core/ref.ts";
import { atSource, firstAnswering, RegistryRouting } from "../core/routing.ts";
import { Registries, type Repository } from "../core/transport/repository.ts";

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

/** The values gunshi parsed for `transportArgs`. */
export interface TransportValues {
  "plain-http"?: boolean;
  "ca-file"?: string;
  "cert-file"?: string;
  "key-file"?: string;
  "insecure-skip-tls-verify"?: boolean;
  concurrency?: number;
  timeout?: number;
  username?: string;
  password?: string;
  "password-stdin"?: boolean;
}

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

/** How many refs a command transfers at once: `--concurrency`, `H3_CONCURRENCY`, config, 8. */
export async function refConcurrency(flags: TransportFlags): Promise<number> {
  return resolveConcurrency(flags.concurrency, await loadConfig());
}

/**
 * Opens registry repositories for a command: each host with the settings in force for it, one
 * client (connection pool and credentials) per host; registries.conf's blocks apply to every
 * reference, its mirrors and rewrites to pulls (`openForPull`). Dispose it when the command ends.
 */
export class RegistryOpener implements Disposable {
  #flags: TransportFlags;
  #settings = new Map<string, Promise<TransportSettings>>();
  #registries: Registries;
  #ready = new Map<string, TransportSettings>();
  #routing?: Promise<RegistryRouting>;
  #debug?: (line: string) => void;
  /** Hosts the command names: the only ones its `--username` is sent to (not mirrors). */
  #named = new Set<string>();

  /** An opener for `flags`; `debug` receives request lines. */
  constructor(flags: TransportFlags, debug?: (line: string) => void) {
    this.#flags = flags;
    this.#debug = debug;
    const given = flags.credential;
    const authorizer = defaultAuthorizer({
      debug,
      given: given && ((host) => this.#named.has(host) ? given() : Promise.resolve(undefined)),
      warn: (message) => printError(`Warning: ${message}`),
    });
    this.#registries = new Registries((host) => ({ ...this.#ready.get(host), debug, authorizer }));
  }

  /** The repository `ref` names, reached with its host's settings; refused when blocked. */
  async open(ref: Reference): Promise<Repository> {
    const routing = await this.#route();
    routing.check(ref);
    this.#named.add(ref.registry);
    return await this.#openAt(ref, routing.insecure(ref));
  }

  /**
   * The repository to pull `ref` from: the first of its mirrors (registries.conf, h3's config)
   * that answers for `probe` (a tag or digest; none: the repository's tag list), else its
   * primary location. Without mirrors or rewrites, `open(ref)`.
   */
  async openForPull(ref: Reference, probe?: string): Promise<Repository> {
    const routing = await this.#route();
    routing.check(ref);
    this.#named.add(ref.registry);
    const sources = routing.sources(ref);
    if (
      sources.length === 1 && !sources[0].mirror &&
      sources[0].name === `${ref.registry}/${ref.repository}`
    ) {
      return await this.#openAt(ref, routing.insecure(ref));
    }
    const { opened } = await firstAnswering(
      sources,
      async (source) => {
        const at = atSource(source, ref);
        routing.check(at);
        return await this.#openAt(at, source.insecure || routing.insecure(at));
      },
      async (repository) => {
        if (probe) return await repository.resolve(probe);
        for await (const _ of repository.tags()) break;
      },
      this.#debug,
    );
    return opened;
  }

  #route(): Promise<RegistryRouting> {
    this.#routing ??= loadConfig().then((config) => RegistryRouting.load(config));
    return this.#routing;
  }

  async #openAt(ref: Reference, insecure: boolean | undefined): Promise<Repository> {
    const host = ref.registry;
    let settings = this.#settings.get(host);
    if (!settings) {
      settings = transportSettings(host, this.#flags, { insecureSkipTlsVerify: insecure });
      this.#settings.set(host, settings);
    }
    this.#ready.set(host, await settings);
    return this.#registries.repository(ref);
  }

  /** Closes every registry connection. */
  [Symbol.dispose](): void {
    this.#registries[Symbol.dispose]();
  }
}
