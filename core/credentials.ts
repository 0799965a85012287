/**
 * h3's credentials as the CLI and the library use them: plugins first, then the files (Docker's
 * config, Helm's registry config, podman's auth file); and the authorizer built on them.
 * @module
 */
import { RegistryAuthorizer } from "./auth/authorizer.ts";
import { credentialChain, fileCredentialProviders } from "./auth/credentials.ts";
import type { CredentialLookup } from "./auth/types.ts";
import { pluginCredentials } from "./plugin/credentials.ts";
import type { Authorizer, FetchLike } from "./transport/options.ts";

/**
 * h3's credential lookup: plugins first, then Docker's config, Helm's and podman's files; `warn`
 * hears of plugins that could not be loaded.
 */
export function defaultCredentials(
  warn?: (message: string, problem?: unknown) => void,
): CredentialLookup {
  return credentialChain([pluginCredentials(warn), ...fileCredentialProviders()]);
}

/** How `defaultAuthorizer` works. */
export interface AuthorizerSettings {
  /** Receives one line per token request, for `--debug`. */
  debug?: (line: string) => void;
  /** Credentials asked first (a command's `--username`, for the hosts it names). */
  given?: CredentialLookup;
  /** Hears of credential plugins that could not be loaded (and the error, as `problem`). */
  warn?: (message: string, problem?: unknown) => void;
}

/**
 * The authorizer factory to give the transport (`openRepository(ref, { authorizer })`): `given`
 * credentials (a command's `--username`, for the hosts it names) first, then h3's credential
 * chain, whose stored
 * credentials a token service rejects are replaced by an anonymous try on reads; token realms
 * reached with the transport's fetch, `debug` for `--debug`.
 */
export function defaultAuthorizer(
  { debug, given, warn }: AuthorizerSettings = {},
): (fetch: FetchLike) => Authorizer {
  const stored = defaultCredentials(warn);
  const credentials = given ? credentialChain([given, stored]) : stored;
  return (fetch) =>
    new RegistryAuthorizer({ credentials, fetch, debug, anonymousFallback: !given });
}
