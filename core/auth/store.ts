/**
 * Storing and removing a login, as `docker login`/`logout` do: through the credential helper the
 * Docker config names for the host (never in plain text then), else as an `auths` entry.
 * @module
 */
import {
  dockerConfigPath,
  helperName,
  readDockerConfig,
  removeAuth,
  serverAddress,
  setAuth,
  setHelperRecord,
  writeDockerConfig,
} from "./docker_config.ts";
import { helperErase, helperGet, helperStore } from "./helper.ts";

/** What `saveLogin` did: which helper took the secret, or which file holds it in plain text. */
export type SavedLogin = { helper: string } | { file: string };

/** Stores a username and password for a registry in Docker's config or its helper. */
export async function saveLogin(
  registry: string,
  username: string,
  password: string,
): Promise<SavedLogin> {
  const config = await readDockerConfig(dockerConfigPath());
  const helper = helperName(config, registry);
  if (helper) {
    await helperStore(helper, serverAddress(registry), username, password);
    setHelperRecord(config, registry);
  } else {
    setAuth(config, registry, username, password);
  }
  await writeDockerConfig(config);
  return helper ? { helper: `docker-credential-${helper}` } : { file: config.path };
}

/** Removes a registry's login from the helper and the config file; false when there was none. */
export async function removeLogin(registry: string): Promise<boolean> {
  const config = await readDockerConfig(dockerConfigPath());
  const helper = helperName(config, registry);
  let found = false;
  if (helper && await helperGet(helper, serverAddress(registry))) {
    await helperErase(helper, serverAddress(registry));
    found = true;
  }
  if (removeAuth(config, registry)) {
    await writeDockerConfig(config);
    found = true;
  }
  return found;
}
