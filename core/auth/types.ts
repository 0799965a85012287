/**
 * The seam between the registry client and authentication: credentials a provider knows for a
 * host, the challenges a registry sends, and the Authorizer that turns them into a header.
 * @module
 */

/** What a credential source can know for a registry. Secrets: never print or log them. */
export interface Credential {
  /** The user name for basic auth or a token exchange. */
  username?: string;
  /** The password (or personal access token) of `username`. */
  password?: string;
  /** An OAuth2 refresh token (Docker's `identitytoken`), exchanged with grant_type=refresh_token. */
  identityToken?: string;
  /** A registry (Bearer) token to send as is. */
  registryToken?: string;
}

/** Finds credentials for a registry host[:port]; undefined when it knows none. */
export type CredentialLookup = (registry: string) => Promise<Credential | undefined>;

/** One `WWW-Authenticate` challenge: `Basic realm="x"` or `Bearer realm="..",service="..",scope=".."`. */
export interface Challenge {
  /** Lower-case scheme: `basic` or `bearer`. */
  scheme: string;
  /** Its parameters, keys lower-case. */
  params: Record<string, string>;
}

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
