/**
 * The HTTP client for one registry: every request h3 sends to it goes through `request`, which
 * adds credentials (and answers a 401 challenge, in this one place), follows redirects without
 * leaking `Authorization` to other hosts, retries what is safe to retry, logs for `--debug`, and
 * turns failures into one-line errors naming the registry.
 * @module
 */
import { readAll } from "../digest.ts";
import { dockerHub } from "../ref.ts";
import pLimit from "p-limit";
import { parseChallenges } from "./challenge.ts";
import { AuthError, H3Error, option, phrase, RegistryError } from "../errors.ts";
import { responseError } from "./_errors.ts";
import {
  type Connection,
  networkError,
  type NetworkFailure,
  openConnection,
  ReadTimeout,
} from "./http.ts";
import {
  type Authorizer,
  type FetchLike,
  initialScheme,
  isLoopback,
  type TransportOptions,
} from "./options.ts";
import {
  defaultMaxRetryAfterMs,
  describeRateLimit,
  type RateLimit,
  rateLimitOf,
  rateLimitRefusal,
} from "./rate_limit.ts";
import { announcedLength, bodyRead, type Clocks, timedFetch } from "./timed_fetch.ts";
import { backoffMs, isRetryableStatus, maxAttempts, retryAfterMs, sleep } from "./retry.ts";

/** One request to a registry. */
export interface RegistryRequest {
  method: "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** A path (`/v2/...`) on the registry, or an absolute URL (an upload's `Location`). */
  url: string | URL;
  headers?: Record<string, string>;
  /** Always bytes, so the request can be sent again after a 401 or a retryable failure. */
  body?: Uint8Array;
  /** Token scopes the request needs, e.g. `repository:a/b:pull`. */
  scopes: string[];
  /** What the request does, for error messages: `pushing manifest a/b:1.0`. */
  what: string;
  /** Statuses returned to the caller (besides 2xx) instead of thrown, e.g. 404 for a HEAD. */
  accept?: number[];
  /**
   * The caller reads the body whole at once, then calls `bodyRead(response)`: a small body is
   * then timed by one timer for the whole exchange (see `Clocks.whole`).
   */
  whole?: boolean;
}

/** The token scope for `actions` on a repository: `repository:<name>:pull`, `...:pull,push`. */
export function scope(repository: string, actions: "pull" | "pull,push" | "delete"): string {
  return `repository:${repository}:${actions}`;
}

const defaultBudgetMs = 60_000;
/** How long a registry may stay silent (headers, or between body chunks) unless told otherwise. */
const defaultTimeoutMs = 60_000;
/** The overall deadline of one request, as a multiple of the idle timeout, unless told otherwise. */
const deadlineFactor = 10;
const maxRedirects = 10;
const redirectStatuses = [301, 302, 303, 307, 308];
const secretParams = /sig|token|credential|key|secret|state|auth|policy/i;

/** A URL as `--debug` shows it: query values that may be secrets replaced by `***`. */
export function redactUrl(url: URL): string {
  const shown = new URL(url);
  for (const name of [...shown.searchParams.keys()]) {
    if (secretParams.test(name)) shown.searchParams.set(name, "***");
  }
  return shown.toString().replaceAll("%2A%2A%2A", "***");
}

/** Whether a request may be sent twice without harm (all but PATCH and POST with a body). */
function idempotent(request: RegistryRequest): boolean {
  return request.method !== "PATCH" && !(request.method === "POST" && request.body);
}

/** The client for one registry host; shared by every repository of that host. */
export class RegistryClient {
  /** Registry host[:port]. */
  readonly registry: string;
  #options: TransportOptions;
  #connection?: Promise<Connection>;
  #authorizer?: Authorizer;
  #scheme: "http" | "https";
  #limit: ReturnType<typeof pLimit>;
  #probe?: Promise<boolean>;
  #pushing = new Set<string>();
  #rateLimit?: RateLimit;
  /** Authorization values sent, to remove from error text a registry echoes. */
  #sent = new Set<string>();

  /** A client for `registry`; connections open on the first request. */
  constructor(registry: string, options: TransportOptions = {}) {
    this.registry = registry;
    this.#options = options;
    this.#scheme = initialScheme(registry, options);
    this.#limit = pLimit(options.concurrency ?? 8);
    const authorizer = options.authorizer;
    this.#authorizer = typeof authorizer === "function" ? authorizer(this.fetch) : authorizer;
  }

  /** The registry's base URL, e.g. `http://localhost:5000` (Docker Hub's API lives elsewhere). */
  get origin(): string {
    return `${this.#scheme}://${apiHost(this.registry)}`;
  }

  #base?: URL;

  /** `origin` parsed (once per scheme: every request compares its URL's origin with it). */
  get #baseUrl(): URL {
    const origin = this.origin;
    if (this.#base?.href !== `${origin}/`) this.#base = new URL(origin);
    return this.#base;
  }

  /**
   * The fetch for token realms: this client's TLS settings, idle timeout and deadline; a realm
   * over plain HTTP off loopback refused (unless plain HTTP was allowed for this registry); a
   * redirect to another origin followed only when the request carries no credentials.
   */
  readonly fetch: FetchLike = async (input, init = {}) => {
    const connection = await this.#connect();
    let url = new URL(String(input));
    let request: RequestInit = { ...init, redirect: "manual" };
    const credentials = init.body != null || new Headers(init.headers).has("authorization");
    for (let hop = 0;; hop++) {
      this.#checkRealm(url);
      const what = `getting a token from ${url.origin}`;
      const response = await timedFetch(connection.fetch, url, request, this.#clocks(what));
      const location = response.headers.get("location");
      if (!redirectStatuses.includes(response.status) || !location) return response;
      await response.body?.cancel();
      const next = redirectTarget(location, url, this.registry);
      if (hop >= maxRedirects) {
        throw new AuthError(`${this.registry}: the token service redirected too often`);
      }
      if (next.origin !== url.origin && credentials) {
        throw new AuthError(
          `${this.registry}: the token service at ${url.origin} redirected to ${next.origin}; ` +
            `h3 sends credentials to no other origin`,
        );
      }
      if (response.status === 303 || request.method === "POST" && response.status < 303) {
        request = { ...request, method: "GET", body: undefined };
      }
      url = next;
    }
  };

  /** Refuses a token realm h3 must not send to: not HTTP(S), or plain HTTP off loopback. */
  #checkRealm(url: URL): void {
    if (url.protocol === "https:") return;
    const clear = url.protocol === "http:";
    if (clear && (this.#options.plainHttp || isLoopback(url.host))) return;
    const realm = JSON.stringify(url.origin + url.pathname);
    const clearText = "credentials would cross the network in clear; refused";
    throw new AuthError(
      clear
        ? phrase`${this.registry} names the token service ${realm}, over plain HTTP: ${clearText} (pass ${
          option("plainHttp")
        } for ${this.registry} if that is intended)`
        : `${this.registry} names the token service ${realm}, which is not HTTP(S); refused`,
    );
  }

  /** The clocks of one exchange: the idle timeout and the overall deadline. */
  #clocks(what: string): Clocks {
    const timeoutMs = this.#options.timeoutMs ?? defaultTimeoutMs;
    const deadlineMs = this.#options.deadlineMs ?? timeoutMs * deadlineFactor;
    return { timeoutMs, deadlineMs, registry: this.registry, what };
  }

  /**
   * Sends a request and returns a 2xx (or `accept`ed) response; anything else becomes a
   * `RegistryError` (or `AuthError`) naming the registry and what it said.
   */
  async request(request: RegistryRequest): Promise<Response> {
    const started = Date.now();
    // A raised Retry-After limit raises the budget with it, or the wait could never fit.
    const budget = Math.max(
      this.#options.retryBudgetMs ?? defaultBudgetMs,
      this.#options.maxRetryAfterMs ?? 0,
    );
    for (let attempt = 1;; attempt++) {
      let response: Response | undefined;
      let failure: NetworkFailure | undefined;
      try {
        response = await this.#authorized(request);
      } catch (error) {
        if (error instanceof H3Error && !(error instanceof ReadTimeout)) throw error;
        failure = networkError(this.registry, error);
      }
      if (response) {
        const refusal = this.#noteRateLimit(response);
        if (refusal) {
          await response.body?.cancel();
          throw refusal;
        }
      }
      const retryable = failure
        ? failure.retryable && idempotent(request)
        : isRetryableStatus(response!.status) &&
          (idempotent(request) || response!.status === 429 || response!.status === 503);
      if (retryable && attempt < maxAttempts) {
        const wait = backoffMs(
          attempt,
          retryAfterMs(response?.headers.get("retry-after") ?? null),
          this.#maxRetryAfterMs,
        );
        if (Date.now() - started + wait <= budget) {
          await response?.body?.cancel();
          this.#log(`  retrying in ${Math.round(wait)} ms (attempt ${attempt + 1})`);
          await sleep(wait);
          continue;
        }
      }
      const tries = attempt > 1 ? ` (gave up after ${attempt} attempts)` : "";
      if (failure) {
        failure.error.message += tries;
        throw failure.error;
      }
      if (response!.ok || request.accept?.includes(response!.status)) return response!;
      const error = await responseError(response!, this.registry, request.what, {
        headers: [...this.#sent],
      });
      error.message += tries;
      throw error;
    }
  }

  /**
   * Asks for push access to `repository` from the first request on, read requests included, so
   * one token covers a whole push instead of a pull token first and a push token after.
   */
  willPush(repository: string): void {
    this.#pushing.add(repository);
  }

  /**
   * Sends a request and reads its whole body, at most `maxBytes` (after `inspect` saw the
   * response); a body the registry stops sending is asked for again, up to `maxAttempts` times.
   */
  async requestBytes(
    request: RegistryRequest,
    maxBytes: number,
    inspect?: (response: Response) => void,
  ): Promise<{ response: Response; bytes: Uint8Array }> {
    for (let attempt = 1;; attempt++) {
      const response = await this.request({ ...request, whole: true });
      try {
        inspect?.(response);
        return {
          response,
          bytes: await readAll(
            response.body ?? ReadableStream.from([]),
            maxBytes,
            announcedLength(response),
          ),
        };
      } catch (error) {
        await response.body?.cancel().catch(() => {});
        if (!(error instanceof ReadTimeout) || attempt >= maxAttempts) throw error;
        this.#log(`  ${error.detail}: asking again (attempt ${attempt + 1})`);
      } finally {
        bodyRead(response);
      }
    }
  }

  /** Sends a request whose answer is only a status and headers: its body is dropped. */
  async call(request: RegistryRequest): Promise<Response> {
    const response = await this.request(request);
    await response.body?.cancel();
    return response;
  }

  /** Frees the connections. */
  close(): void {
    this.#connection?.then((c) => c.close(), () => {});
  }

  #connect(): Promise<Connection> {
    this.#connection ??= openConnection(this.#options);
    return this.#connection;
  }

  /** Sends with the credentials known up front; on a 401 asks the authorizer once and resends. */
  async #authorized(request: RegistryRequest): Promise<Response> {
    const authorizer = this.#authorizer;
    const scopes = request.scopes.map((s) => {
      const name = /^repository:(.+):pull$/.exec(s)?.[1];
      return name && this.#pushing.has(name) ? scope(name, "pull,push") : s;
    });
    const cached = authorizer?.cached(this.registry, scopes);
    const { response, url } = await this.#send(request, cached);
    if (response.status !== 401) return response;
    if (url.origin !== this.#baseUrl.origin) {
      // A redirect led to another host, which wants credentials: they were stored for this one.
      await response.body?.cancel();
      throw new AuthError(
        `${url.host} (where ${this.registry} sent h3 for ${request.what}) asks for ` +
          `credentials; h3 gives ${this.registry}'s credentials to no other host`,
      );
    }
    const challenges = parseChallenges(response.headers.get("www-authenticate"));
    await response.body?.cancel();
    const header = authorizer
      ? await authorizer.authorize(this.registry, challenges, scopes)
      : undefined;
    if (!header) {
      throw new AuthError(`authentication required by ${this.registry}`, {
        remedy: { kind: "login", registry: this.registry },
      });
    }
    const { response: again } = await this.#send(request, header);
    if (again.status !== 401) return again;
    await again.body?.cancel();
    const reason = parseChallenges(again.headers.get("www-authenticate"))
      .find((c) => c.params.error)?.params.error;
    if (reason === "insufficient_scope") {
      throw new AuthError(
        `${this.registry} denied access for ${request.what} (insufficient_scope)`,
        {
          remedy: { kind: "checkLogin", registry: this.registry },
        },
      );
    }
    throw new AuthError(`${this.registry} refused the credentials for ${request.what}`);
  }

  /** One exchange: follows redirects for GET/HEAD, and moves a loopback registry to HTTPS when it asks. */
  async #send(
    request: RegistryRequest,
    authorization: string | undefined,
  ): Promise<{ response: Response; url: URL }> {
    const connection = await this.#connect();
    let url = new URL(request.url, this.#baseUrl);
    for (let hop = 0;; hop++) {
      const headers = new Headers(request.headers);
      const ours = url.origin === this.#baseUrl.origin;
      if (authorization && ours) {
        headers.set("authorization", authorization);
        this.#sent.add(authorization);
      }
      const response = await this.#limit(() =>
        this.#exchange(connection, request, url, headers, authorization !== undefined && ours)
      );
      if (response.status === 400 && ours && (await this.#upgradeToHttps(connection, response))) {
        url = new URL(url.pathname + url.search, this.origin);
        continue;
      }
      const location = response.headers.get("location");
      const redirect = redirectStatuses.includes(response.status) && location &&
        (request.method === "GET" || request.method === "HEAD");
      if (!redirect || hop >= maxRedirects) return { response, url };
      await response.body?.cancel();
      url = redirectTarget(location, url, this.registry);
    }
  }

  /**
   * A Go registry answers plain HTTP on its TLS port with 400 "Client sent an HTTP request to an
   * HTTPS server": on loopback (where HTTP was only a default) switch to HTTPS, as Docker does.
   * Checked once, with a GET of `/v2/` (a HEAD's answer has no body to tell).
   */
  async #upgradeToHttps(connection: Connection, response: Response): Promise<boolean> {
    if (this.#scheme !== "http" || this.#options.plainHttp || !isLoopback(this.registry)) {
      return false;
    }
    this.#probe ??= (async () => {
      const url = new URL("/v2/", this.origin);
      const answer = await timedFetch(connection.fetch, url, {}, this.#clocks("probing for HTTPS"))
        .catch(() => undefined);
      const text = answer?.body
        ? new TextDecoder().decode(await readAll(answer.body, 4096).catch(() => new Uint8Array()))
        : "";
      return /HTTP request to an HTTPS server/i.test(text);
    })();
    if (!(await this.#probe)) return false;
    await response.body?.cancel();
    if (this.#scheme === "http") this.#log(`  ${this.registry} speaks HTTPS: switching`);
    this.#scheme = "https";
    return true;
  }

  async #exchange(
    connection: Connection,
    request: RegistryRequest,
    url: URL,
    headers: Headers,
    authorized: boolean,
  ): Promise<Response> {
    const debug = this.#options.debug;
    const start = performance.now();
    // The request lines are only formatted for --debug: a push makes thousands of requests.
    debug?.(`> ${request.method} ${redactUrl(url)}${authorized ? " (Authorization: ***)" : ""}`);
    const response = await timedFetch(connection.fetch, url, {
      method: request.method,
      headers,
      body: request.body as BodyInit | undefined,
      redirect: "manual",
    }, { ...this.#clocks(request.what), whole: request.whole });
    if (debug) {
      const ms = Math.round(performance.now() - start);
      const length = response.headers.get("content-length");
      debug(
        `< ${response.status} ${request.method} ${url.pathname} (${ms} ms${
          length ? `, ${length} bytes` : ""
        })`,
      );
    }
    return response;
  }

  /** The longest `Retry-After` this client waits out. */
  get #maxRetryAfterMs(): number {
    return this.#options.maxRetryAfterMs ?? defaultMaxRetryAfterMs;
  }

  /**
   * Keeps (and logs, for `--debug`) the request budget a response announces; returns the error
   * for a 429 that asks for a longer wait than this client accepts.
   */
  #noteRateLimit(response: Response): RegistryError | undefined {
    const budget = rateLimitOf(response);
    if (budget) {
      this.#rateLimit = budget;
      this.#log(`  rate limit: ${describeRateLimit(budget)}`);
    }
    return rateLimitRefusal(response, this.registry, this.#maxRetryAfterMs, this.#rateLimit);
  }

  #log(line: string): void {
    this.#options.debug?.(line);
  }
}

/** The host that serves a registry's API: Docker Hub's is `registry-1.docker.io`, as Docker's. */
export function apiHost(registry: string): string {
  return registry === dockerHub ? "registry-1.docker.io" : registry;
}

/**
 * Where a redirect's `Location` leads, resolved against the URL that answered: only HTTP(S) URLs
 * without user info (a `file:` or `data:` URL is refused).
 */
export function redirectTarget(location: string, base: URL, registry: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(location, base);
  } catch {
    url = undefined;
  }
  if (!url || !["http:", "https:"].includes(url.protocol) || url.username || url.password) {
    throw new RegistryError(
      `${registry}: redirected to ${JSON.stringify(location.slice(0, 200))}; refused ` +
        `(only http and https URLs without user info are followed)`,
      0,
    );
  }
  return url;
}
