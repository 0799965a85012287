/** Where h3 keeps things: `$HELM_HOME` (else `~/.helm`) and the cache under it. @module */

/** The user's home directory, or a clear error when the environment names none. */
export function homeDir(): string {
  const home = Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE");
  if (!home) throw new Error("cannot find the home directory: set HOME or HELM_HOME");
  return home;
}

/** h3's home: `$HELM_HOME`, else `~/.helm` (as the seed). */
export function helmHome(): string {
  return Deno.env.get("HELM_HOME") || `${homeDir()}/.helm`;
}

/** The local chart cache, an OCI image layout: `$HELM_HOME/registry`. */
export function cacheDir(): string {
  return `${helmHome()}/registry`;
}

/** Where installed plugins live: `$HELM_PLUGINS`, else `$HELM_HOME/plugins`. */
export function pluginsDir(): string {
  return Deno.env.get("HELM_PLUGINS") || `${helmHome()}/plugins`;
}

/** Docker's config directory: `$DOCKER_CONFIG`, else `~/.docker`. */
export function dockerConfigDir(): string {
  return Deno.env.get("DOCKER_CONFIG") || `${homeDir()}/.docker`;
}
