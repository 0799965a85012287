/**
 * Credentials: what a provider knows for a registry host. (The transport's seam, the Authorizer
 * that turns them into a header, is `transport/options.ts`.)
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
