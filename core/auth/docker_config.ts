/**
 * Docker's config file (`config.json`) as Docker, Helm and ORAS use it: `auths` entries (base64
 * `auth`, `identitytoken`), `credsStore` and per-host `credHelpers`, matched to a registry the way
 * Docker does. Writes keep every other key as it was, at mode 0600, atomically.
 * @module
 */
import { AuthError } from "../errors.ts";
import { dockerConfigDir } from "../paths.ts";
import type { Credential } from "./types.ts";
import { readTextIfExists, replaceFile } from "../write_file.ts";

/** A parsed config file: where it lives and its whole content (unknown keys kept as they were). */
export interface DockerConfig {
  path: string;
  data: Record<string, unknown>;
}

/** One `auths` entry as Docker writes it. */
export interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
  [key: string]: unknown;
}

/** The key Docker stores Docker Hub under (its v1 index address). */
export const dockerHubKey = "https://index.docker.io/v1/";

const dockerHubAliases = new Set(["docker.io", "index.docker.io", "registry-1.docker.io"]);

/** Docker's config file: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. */
export function dockerConfigPath(): string {
  return `${dockerConfigDir()}/config.json`;
}

/**
 * The registry host a config key or server address names: scheme and path dropped, lower-cased,
 * Docker Hub's aliases folded to `docker.io` (`https://index.docker.io/v1/` → `docker.io`).
 */
export function registryHost(address: string): string {
  const host = address.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, "").split("/")[0].toLowerCase();
  return dockerHubAliases.has(host) ? "docker.io" : host;
}

/** The key a registry's credentials are stored under: Docker Hub's index address, else the host. */
export function serverAddress(registry: string): string {
  const host = registryHost(registry);
  return host === "docker.io" ? dockerHubKey : host;
}

/** Reads a config file; a missing file is an empty config. Malformed JSON is an `AuthError`. */
export async function readDockerConfig(path: string): Promise<DockerConfig> {
  const text = await readTextIfExists(
    path,
    (error) => new AuthError(`cannot read ${path}: ${error.message}`),
  );
  return text === undefined ? { path, data: {} } : parseDockerConfig(text, path);
}

/** A config file's text as a config (empty text: an empty config); malformed: an `AuthError`. */
export function parseDockerConfig(text: string, path: string): DockerConfig {
  let data: unknown;
  try {
    data = text.trim() === "" ? {} : JSON.parse(text);
  } catch (error) {
    throw new AuthError(`cannot parse ${path}: ${(error as Error).message}`);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new AuthError(`cannot parse ${path}: not a JSON object`);
  }
  return { path, data: data as Record<string, unknown> };
}

/** The `auths` map of a config; with `create`, an empty one is added when absent. */
function auths(config: DockerConfig, create = false): Record<string, AuthEntry> {
  const value = config.data.auths;
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    return value as Record<string, AuthEntry>;
  }
  const created: Record<string, AuthEntry> = {};
  if (create) config.data.auths = created;
  return created;
}

/** Keys of `auths` that name `registry`: the exact server address first, then its variants. */
function matchingKeys(config: DockerConfig, registry: string): string[] {
  const host = registryHost(registry);
  const exact = serverAddress(registry);
  const keys = Object.keys(auths(config)).filter((key) => registryHost(key) === host);
  return keys.sort((a, b) => Number(b === exact) - Number(a === exact));
}

/** The `auths` entry for a registry, matched as Docker does (aliases, scheme and path variants). */
export function findAuth(config: DockerConfig, registry: string): AuthEntry | undefined {
  const [key] = matchingKeys(config, registry);
  const entry: unknown = key === undefined ? undefined : auths(config)[key];
  // A hand-edited config may hold anything there: only an object is an entry.
  return typeof entry === "object" && entry !== null && !Array.isArray(entry)
    ? entry as AuthEntry
    : undefined;
}

/** The credential an `auths` entry holds, or undefined when it holds none. */
export function entryCredential(entry: AuthEntry, source: string): Credential | undefined {
  const credential: Credential = {};
  if (typeof entry.auth === "string" && entry.auth !== "") {
    let decoded: string;
    try {
      decoded = new TextDecoder().decode(Uint8Array.from(atob(entry.auth), (c) => c.charCodeAt(0)));
    } catch {
      throw new AuthError(`invalid "auth" value in ${source}: not base64`);
    }
    const colon = decoded.indexOf(":");
    if (colon < 0) throw new AuthError(`invalid "auth" value in ${source}: no "user:password"`);
    credential.username = decoded.slice(0, colon);
    credential.password = decoded.slice(colon + 1);
  } else {
    if (typeof entry.username === "string" && entry.username) credential.username = entry.username;
    if (typeof entry.password === "string" && entry.password) credential.password = entry.password;
  }
  if (typeof entry.identitytoken === "string" && entry.identitytoken) {
    credential.identityToken = entry.identitytoken;
  }
  if (typeof entry.registrytoken === "string" && entry.registrytoken) {
    credential.registryToken = entry.registrytoken;
  }
  const usable = (credential.username && credential.password) || credential.identityToken ||
    credential.registryToken;
  return usable ? credential : undefined;
}

/** The credential helper configured for a registry: `credHelpers[host]`, else `credsStore`. */
export function helperName(config: DockerConfig, registry: string): string | undefined {
  const helpers = config.data.credHelpers;
  if (typeof helpers === "object" && helpers !== null) {
    const host = registryHost(registry);
    for (const [key, name] of Object.entries(helpers)) {
      if (registryHost(key) === host && typeof name === "string" && name !== "") return name;
    }
  }
  const store = config.data.credsStore;
  return typeof store === "string" && store !== "" ? store : undefined;
}

/** Stores a username and password for a registry as Docker does (`auth: base64(user:pass)`). */
export function setAuth(
  config: DockerConfig,
  registry: string,
  username: string,
  password: string,
) {
  const bytes = new TextEncoder().encode(`${username}:${password}`);
  auths(config, true)[serverAddress(registry)] = { auth: btoa(String.fromCharCode(...bytes)) };
}

/**
 * Records that a registry's credentials live in a helper: an empty entry, as Docker writes, which
 * also replaces any plain-text secret kept for it before.
 */
export function setHelperRecord(config: DockerConfig, registry: string) {
  for (const key of matchingKeys(config, registry)) delete auths(config)[key];
  auths(config, true)[serverAddress(registry)] = {};
}

/** Removes every `auths` entry naming a registry; true when there was one. */
export function removeAuth(config: DockerConfig, registry: string): boolean {
  const keys = matchingKeys(config, registry);
  for (const key of keys) delete auths(config)[key];
  return keys.length > 0;
}

/**
 * Writes a config back: mode 0600, through a temp file and a rename in the same directory (so a
 * reader never sees half a file), following a symlinked config.json to its real file.
 */
export async function writeDockerConfig(config: DockerConfig): Promise<void> {
  const target = await Deno.realPath(config.path).catch(() => config.path);
  const dir = target.slice(0, Math.max(target.lastIndexOf("/"), 0)) || ".";
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    await replaceFile(target, JSON.stringify(config.data, null, "\t") + "\n", { mode: 0o600 });
  } catch (error) {
    throw new AuthError(`cannot write ${config.path}: ${(error as Error).message}`);
  }
}
