/**
 * The Authorizer h3's registry client uses: answers a Basic challenge with the user's credentials
 * and a Bearer challenge with a token fetched from the realm (basic credentials, an identity token
 * via the refresh_token grant, or anonymously), caching tokens per scope set for their lifetime and
 * fetching each only once even when many requests ask at the same time.
 * @module
 */
import { readAll } from "../digest.ts";
import { AuthError, DigestError, firstLine, H3Error } from "../errors.ts";
import { redactUrl } from "../transport/client.ts";
import { networkError } from "../transport/http.ts";
import type { Challenge } from "../transport/challenge.ts";
import type { Authorizer, FetchLike } from "../transport/options.ts";
import type { Credential, CredentialLookup } from "./types.ts";
import { redact } from "../redact.ts";

/** What an authorizer needs: where credentials come from and how to reach token realms. */
export interface AuthorizerOptions {
  /** Finds credentials for a registry host; asked at most once per host. */
  credentials: CredentialLookup;
  /** The fetch to reach token realms with (the transport's, with its TLS settings). */
  fetch: FetchLike;
  /** Receives one line per token request, secrets left out; for `--debug`. */
  debug?: (line: string) => void;
  /**
   * When the token service rejects the (stored) credentials for a read (every scope `pull`),
   * ask once more anonymously: stale logins must not block public charts.
   */
  anonymousFallback?: boolean;
}

/** Tokens live at least this long when the realm says less or nothing (as Docker). */
const minimumLifetimeSeconds = 60;
/** Tokens are dropped this long before they expire, so none expires in flight. */
const expiryMarginMs = 5_000;
/** Most bytes of a token response read (as oras-go): a token service cannot fill the memory. */
export const maxTokenResponse = 128 * 1024;
/** The client id h3 names in OAuth2 token requests. */
const clientId = "h3";

interface CachedToken {
  header: string;
  expires: number;
}

/** Merges scopes (`type:name:actions`) naming one resource, actions sorted; a stable list. */
export function normalizeScopes(scopes: string[]): string[] {
  const actions = new Map<string, Set<string>>();
  for (const scope of scopes.flatMap((s) => s.split(" ")).filter(Boolean)) {
    const last = scope.lastIndexOf(":");
    const resource = last > scope.indexOf(":") ? scope.slice(0, last) : scope;
    const set = actions.get(resource) ?? new Set();
    if (last > scope.indexOf(":")) {
      for (const action of scope.slice(last + 1).split(",")) if (action) set.add(action);
    }
    actions.set(resource, set);
  }
  return [...actions].map(([resource, set]) =>
    set.size ? `${resource}:${[...set].sort().join(",")}` : resource
  ).sort();
}

interface Basic {
  username: string;
  password: string;
}

/** The username and password of a credential, when it has them. */
function basicOf(credential: Credential | undefined): Basic | undefined {
  if (!credential?.username && !credential?.password) return undefined;
  return { username: credential.username ?? "", password: credential.password ?? "" };
}

function basicHeader({ username, password }: Basic): string {
  const bytes = new TextEncoder().encode(`${username}:${password}`);
  return `Basic ${btoa(String.fromCharCode(...bytes))}`;
}

/** An Authorizer for one run of h3: credentials looked up once per registry, tokens cached. */
export class RegistryAuthorizer implements Authorizer {
  #options: AuthorizerOptions;
  #credentials = new Map<string, Promise<Credential | undefined>>();
  #basic = new Map<string, string>();
  #tokens = new Map<string, CachedToken>();
  #inFlight = new Map<string, Promise<string | undefined>>();

  /** An authorizer reading credentials from `options.credentials`, reaching realms with `options.fetch`. */
  constructor(options: AuthorizerOptions) {
    this.#options = options;
  }

  /** A header known for these scopes: an unexpired token, else the registry's basic header. */
  cached(registry: string, scopes: string[]): string | undefined {
    if (this.#tokens.size === 0) return this.#basic.get(registry); // no token to look up
    const key = cacheKey(registry, scopes);
    const token = this.#tokens.get(key);
    if (token && token.expires > Date.now()) return token.header;
    if (token) this.#tokens.delete(key);
    return this.#basic.get(registry);
  }

  /** The header answering `challenges` for `scopes`; see {@link Authorizer.authorize}. */
  async authorize(
    registry: string,
    challenges: Challenge[],
    scopes: string[],
  ): Promise<string | undefined> {
    const bearer = challenges.find((c) => c.scheme === "bearer");
    if (bearer) return await this.#bearer(registry, bearer, scopes);
    if (!challenges.some((c) => c.scheme === "basic")) return undefined;
    const basic = basicOf(await this.#credential(registry));
    if (!basic) return undefined;
    const header = basicHeader(basic);
    this.#basic.set(registry, header);
    return header;
  }

  #credential(registry: string): Promise<Credential | undefined> {
    let found = this.#credentials.get(registry);
    if (!found) {
      found = this.#options.credentials(registry);
      this.#credentials.set(registry, found);
    }
    return found;
  }

  async #bearer(registry: string, challenge: Challenge, scopes: string[]) {
    const key = cacheKey(registry, scopes);
    const pending = this.#inFlight.get(key);
    if (pending) return await pending;
    // A challenge without an error came to a request sent before a token was known: reuse it.
    // With an error (`invalid_token`, `insufficient_scope`) the token was refused: fetch anew.
    const cached = this.#tokens.get(key);
    if (cached && cached.expires > Date.now() && !challenge.params.error) return cached.header;
    this.#tokens.delete(key);
    const fetching = this.#fetchToken(registry, challenge, scopes).then((token) => {
      this.#tokens.set(key, token);
      return token.header;
    }).finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, fetching);
    return await fetching;
  }

  async #fetchToken(
    registry: string,
    challenge: Challenge,
    scopes: string[],
  ): Promise<CachedToken> {
    const { realm, service } = challenge.params;
    if (!realm) throw new AuthError(`${registry} sent a Bearer challenge without a realm`);
    let realmUrl: URL;
    try {
      realmUrl = new URL(realm);
    } catch {
      throw new AuthError(`${registry} sent a Bearer challenge with an invalid realm "${realm}"`);
    }
    const scope = normalizeScopes([...scopes, challenge.params.scope ?? ""]);
    const credential = await this.#credential(registry);
    if (credential?.registryToken) {
      return { header: `Bearer ${credential.registryToken}`, expires: Infinity };
    }
    let response: Response;
    if (credential?.identityToken) {
      response = await this.#post(registry, realmUrl, service, scope, {
        grant_type: "refresh_token",
        refresh_token: credential.identityToken,
      });
    } else {
      const url = new URL(realmUrl);
      if (service) url.searchParams.set("service", service);
      for (const s of scope) url.searchParams.append("scope", s);
      const basic = basicOf(credential);
      const headers: HeadersInit = basic ? { authorization: basicHeader(basic) } : {};
      response = await this.#send(registry, url, { headers }, basic ? "basic" : "anonymous");
      if (basic && (response.status === 404 || response.status === 405)) {
        // A realm that speaks only OAuth2: fall back to the password grant, as Docker does.
        await response.body?.cancel();
        response = await this.#post(registry, realmUrl, service, scope, {
          grant_type: "password",
          ...basic,
        });
      }
    }
    const rejected = (response.status === 401 || response.status === 403) &&
      this.#options.anonymousFallback && (basicOf(credential) || credential?.identityToken) &&
      scope.every((s) => /:pull$/.test(s));
    if (!rejected) return await this.#readToken(registry, response, credential);
    // Keep the refusal: it is the answer when the anonymous try fails too.
    const refusal = new Response(await response.text(), {
      status: response.status,
      statusText: response.statusText,
    });
    this.#options.debug?.(
      `${registry} rejected the stored credentials (${response.status}) for a read: ` +
        `trying once anonymously`,
    );
    const url = new URL(realmUrl);
    if (service) url.searchParams.set("service", service);
    for (const s of scope) url.searchParams.append("scope", s);
    const anonymous = await this.#send(registry, url, {}, "anonymous");
    if (anonymous.ok) return await this.#readToken(registry, anonymous, undefined);
    await anonymous.body?.cancel();
    return await this.#readToken(registry, refusal, credential);
  }

  #post(
    registry: string,
    realm: URL,
    service: string | undefined,
    scope: string[],
    grant: Record<string, string>,
  ): Promise<Response> {
    const form = new URLSearchParams({ ...grant, client_id: clientId });
    if (service) form.set("service", service);
    if (scope.length) form.set("scope", scope.join(" "));
    return this.#send(registry, realm, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form,
    }, grant.grant_type);
  }

  async #send(registry: string, url: URL, init: RequestInit, how: string): Promise<Response> {
    const method = init.method ?? "GET";
    try {
      const response = await this.#options.fetch(url, init);
      this.#options.debug?.(`${method} ${redactUrl(url)} (token, ${how}): ${response.status}`);
      return response;
    } catch (error) {
      if (error instanceof AuthError) throw error;
      const problem = error instanceof H3Error
        ? error.message
        : networkError(url.host, error).error.message;
      throw new AuthError(`cannot get a token for ${registry}: ${problem}`, { cause: error });
    }
  }

  async #readToken(
    registry: string,
    response: Response,
    credential: Credential | undefined,
  ): Promise<CachedToken> {
    let text: string;
    try {
      const body = response.body ?? ReadableStream.from<Uint8Array>([]);
      text = new TextDecoder().decode(await readAll(body, maxTokenResponse));
    } catch (error) {
      await response.body?.cancel().catch(() => {});
      const problem = error instanceof DigestError
        ? `its answer is larger than the ${maxTokenResponse / 1024} KiB allowed`
        : error instanceof H3Error
        ? error.message
        : networkError(response.url || registry, error).error.message;
      throw new AuthError(`cannot get a token for ${registry}: ${problem}`, { cause: error });
    }
    if (!response.ok) {
      const status = `${response.status}${response.statusText ? " " + response.statusText : ""}`;
      const detail = serverMessage(text, credential);
      if (basicOf(credential) || credential?.identityToken) {
        throw new AuthError(
          `${registry} refused the credentials: its token service answered ${status}${detail}`,
        );
      }
      throw new AuthError(
        `${registry} requires authentication: its token service refused an anonymous request ` +
          `(${status})${detail}`,
        { remedy: { kind: "login", registry } },
      );
    }
    const { token, expiresIn } = parseTokenResponse(text, registry);
    return { header: `Bearer ${token}`, expires: Date.now() + expiresIn * 1000 - expiryMarginMs };
  }
}

/** Longest token lifetime believed (a day): a token service cannot make h3 keep one for ever. */
const maximumLifetimeSeconds = 24 * 60 * 60;

/**
 * A token service's successful answer: the token (`token`, else `access_token`) and its lifetime
 * in seconds (at least 60, at most a day). Anything else is an `AuthError`: not a JSON object, no
 * token, or a token that is not visible ASCII (it goes into an HTTP header).
 */
export function parseTokenResponse(
  text: string,
  registry: string,
): { token: string; expiresIn: number } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new AuthError(`the token service of ${registry} answered with malformed JSON`);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new AuthError(`the token service of ${registry} answered with no JSON object`);
  }
  const { token: t, access_token: a, expires_in: e } = body as Record<string, unknown>;
  const token = typeof t === "string" && t ? t : typeof a === "string" && a ? a : undefined;
  if (!token) throw new AuthError(`the token service of ${registry} returned no token`);
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw new AuthError(`the token service of ${registry} returned a malformed token`);
  }
  const expiresIn = typeof e === "number" && Number.isFinite(e)
    ? Math.min(Math.max(e, minimumLifetimeSeconds), maximumLifetimeSeconds)
    : minimumLifetimeSeconds;
  return { token, expiresIn };
}

function cacheKey(registry: string, scopes: string[]): string {
  return `${registry} ${normalizeScopes(scopes).join(" ")}`;
}

/** `: <message>` from a token service's error body, secrets removed; empty when it sent none. */
function serverMessage(text: string, credential: Credential | undefined): string {
  let message = "";
  try {
    const body = JSON.parse(text);
    message = body?.errors?.[0]?.message ?? body?.details ?? body?.error_description ??
      body?.error ?? "";
  } catch {
    message = "";
  }
  if (typeof message !== "string" || message === "") return "";
  const basic = basicOf(credential);
  const secrets = {
    secrets: [credential?.password, credential?.identityToken, credential?.registryToken],
    headers: basic ? [basicHeader(basic)] : [],
  };
  return `: ${redact(firstLine(message), secrets).slice(0, 200)}`;
}
