/**
 * How h3 reaches a registry: scheme rules (HTTPS, plain HTTP on loopback as Docker does), TLS
 * files, the authorizer and `--debug` logging. The shape `core/config.ts` resolves settings into.
 * @module
 */
import type { Challenge } from "./challenge.ts";
import { isLoopbackHost, type ProxySettings } from "./proxy.ts";

/** The fetch the authorizer uses to reach token realms (the transport's, with its TLS settings). */
export type FetchLike = (input: string | URL, init?: RequestInit) => Promise<Response>;

/** Produces Authorization header values for requests to one registry. */
export interface Authorizer {
  /**
   * The header for a request that needs `scopes` (e.g. `repository:a/b:pull,push`), after the
   * registry answered 401 with `challenges`. Undefined when no credentials can satisfy them.
   * Throws an `AuthError` when a token realm refuses the credentials.
   */
  authorize(
    registry: string,
    challenges: Challenge[],
    scopes: string[],
  ): Promise<string | undefined>;
  /** A header already known for these scopes (cached token or basic), sent up front; or undefined. */
  cached(registry: string, scopes: string[]): string | undefined;
}

/**
 * How h3 reaches a registry: the one declaration of the transport's settings. What a config file
 * holds per host (`RegistrySettings`), what a caller gives (`TransportFlags`) and what is in force
 * for a host once resolved (`TransportSettings`) are views of it (see `core/config.ts`).
 */
export interface TransportOptions {
  /** true: plain HTTP; false: HTTPS even on loopback; undefined: HTTP on loopback, else HTTPS. */
  plainHttp?: boolean;
  /** A PEM file of CA certificates trusted in addition to the system's. */
  caFile?: string;
  /** More PEM files of CA certificates to trust (a certs.d folder's `*.crt`). */
  caFiles?: string[];
  /** The host's certs.d folder those came from, when one exists (see `core/certs_d.ts`). */
  certsDir?: string;
  /** A PEM client certificate for mutual TLS (with `keyFile`). */
  certFile?: string;
  /** The PEM private key of `certFile`. */
  keyFile?: string;
  /** Accept any server certificate (unsafe; for test registries only). */
  insecureSkipTlsVerify?: boolean;
  /**
   * Answers 401 challenges; or a factory given the transport's fetch (with these TLS settings),
   * for authorizers that reach token realms. None: anonymous access only.
   */
  authorizer?: Authorizer | ((fetch: FetchLike) => Authorizer);
  /** The proxies to use; undefined: read `HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY` on first use. */
  proxy?: ProxySettings;
  /** Requests sent to one registry at once (default 8). */
  concurrency?: number;
  /** Receives one line per request (secrets redacted); for `--debug`. */
  debug?: (line: string) => void;
  /**
   * The longest `Retry-After` a 429 may ask for and be waited out, in milliseconds (default 60 s);
   * a longer one fails at once.
   */
  maxRetryAfterMs?: number;
  /** Upper bound for retrying one request, in milliseconds (default 60 s). */
  retryBudgetMs?: number;
  /**
   * How long the registry may stay silent, in milliseconds (default 60 s): while h3 waits for
   * response headers, and between two chunks of a body.
   */
  timeoutMs?: number;
  /**
   * Longest one request may take, headers and whole body, in milliseconds (default ten times
   * `timeoutMs`): a registry that keeps sending a byte now and then is stopped too.
   */
  deadlineMs?: number;
}

/** Whether a registry host (`host[:port]`) is a loopback address (see `isLoopbackHost`). */
export function isLoopback(registry: string): boolean {
  return isLoopbackHost(hostName(registry));
}

/** The host part of `host[:port]`, without brackets for IPv6. */
function hostName(registry: string): string {
  if (registry.startsWith("[")) return registry.slice(1, registry.indexOf("]"));
  const colon = registry.lastIndexOf(":");
  return colon < 0 ? registry : registry.slice(0, colon);
}

/** Whether TLS settings were given, which means the user expects HTTPS. */
function wantsTls(options: TransportOptions): boolean {
  return Boolean(
    options.caFile || options.caFiles?.length || options.certFile || options.insecureSkipTlsVerify,
  );
}

/**
 * The scheme to start with: `http` with `plainHttp`, `https` when asked for (plainHttp false or TLS
 * files), otherwise `http` on loopback and `https` elsewhere.
 */
export function initialScheme(registry: string, options: TransportOptions): "http" | "https" {
  if (options.plainHttp === true) return "http";
  if (options.plainHttp === false || wantsTls(options)) return "https";
  return isLoopback(registry) ? "http" : "https";
}
