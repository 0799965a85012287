/**
 * Checking a login before it is stored: GET /v2/ on the registry through the transport's client
 * (its scheme and TLS rules), answering the registry's challenge with only the given credentials.
 * @module
 */
import { RefError } from "../errors.ts";
import { RegistryClient } from "../transport/client.ts";
import type { TransportOptions } from "../transport/options.ts";
import { RegistryAuthorizer } from "./authorizer.ts";
import type { Credential } from "./types.ts";
import { registryHost } from "./docker_config.ts";

const hostPattern = /^(?:[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?$/i;

/**
 * The registry host a login names (`oci://`, a scheme and any path dropped, Docker Hub's aliases
 * folded); a `RefError` when what is left is not `host[:port]`.
 */
export function loginHost(value: string): string {
  const host = registryHost(value);
  if (!hostPattern.test(host)) throw new RefError(`invalid registry host "${value}"`);
  return host;
}

/**
 * Resolves when the registry accepts `credential` (or asks for none); throws an `AuthError` naming
 * the registry when it refuses them, a `RegistryError` when it cannot be reached.
 */
export async function checkLogin(
  registry: string,
  credential: Credential,
  options: Omit<TransportOptions, "authorizer"> = {},
): Promise<void> {
  const client = new RegistryClient(registry, {
    ...options,
    authorizer: (fetch) =>
      new RegistryAuthorizer({
        credentials: () => Promise.resolve(credential),
        fetch,
        debug: options.debug,
      }),
  });
  try {
    const response = await client.request({
      method: "GET",
      url: "/v2/",
      scopes: [],
      what: `logging in as ${credential.username}`,
    });
    await response.body?.cancel();
  } finally {
    client.close();
  }
}
