/**
 * Where h3 finds credentials for a registry: a chain of providers, the first that knows the host
 * wins. Docker's config (with its credential helpers), then Helm's registry config, then podman's
 * auth file (plugins go in front of them all: `core/credentials.ts`).
 * @module
 */
import { homeDir } from "../paths.ts";
import {
  dockerConfigPath,
  entryCredential,
  findAuth,
  helperName,
  readDockerConfig,
  serverAddress,
} from "./docker_config.ts";
import { helperGet } from "./helper.ts";
import type { CredentialLookup } from "./types.ts";

/** A lookup that asks each provider in turn and returns the first credential found. */
export function credentialChain(providers: CredentialLookup[]): CredentialLookup {
  return async (registry) => {
    for (const provider of providers) {
      const credential = await provider(registry);
      if (credential) return credential;
    }
    return undefined;
  };
}

/**
 * A provider reading one Docker-format config file: a configured helper (`credHelpers[host]`,
 * else `credsStore`) answers alone, as Docker does; otherwise the matching `auths` entry.
 */
export function configFileCredentials(path: string): CredentialLookup {
  return async (registry) => {
    const config = await readDockerConfig(path);
    const helper = helperName(config, registry);
    if (helper) return await helperGet(helper, serverAddress(registry));
    const entry = findAuth(config, registry);
    return entry && entryCredential(entry, `${path} (auths entry for ${registry})`);
  };
}

/** Helm's registry config: `$HELM_REGISTRY_CONFIG`, else `registry/config.json` in Helm's config dir. */
export function helmRegistryConfigPath(): string {
  const file = Deno.env.get("HELM_REGISTRY_CONFIG");
  if (file) return file;
  const dir = Deno.env.get("HELM_CONFIG_HOME") ||
    `${Deno.env.get("XDG_CONFIG_HOME") || `${homeDir()}/.config`}/helm`;
  return `${dir}/registry/config.json`;
}

/** podman's auth file, `${XDG_RUNTIME_DIR}/containers/auth.json`; undefined without that dir. */
export function podmanAuthPath(): string | undefined {
  const runtime = Deno.env.get("XDG_RUNTIME_DIR");
  return runtime ? `${runtime}/containers/auth.json` : undefined;
}

/** The file-based providers in order: Docker's config, Helm's registry config, podman's auth file. */
export function fileCredentialProviders(): CredentialLookup[] {
  const paths = [dockerConfigPath(), helmRegistryConfigPath(), podmanAuthPath()];
  return paths.filter((p): p is string => p !== undefined).map(configFileCredentials);
}
