/**
 * Credentials from plugins, first in h3's credential chain. Only plugins that declare
 * `credentials` are imported, and only when a registry asks for credentials. What they return is
 * used for this run and never written anywhere.
 * @module
 */
import type { Credential, CredentialLookup } from "../auth/types.ts";
import { AuthError, firstLine, PluginError } from "../errors.ts";
import { readCatalog } from "./catalog.ts";
import { pluginConfig } from "./config.ts";

const warned = new Set<string>();

/**
 * A lookup asking each plugin with credentials (installed first, then built-in) for a registry. A
 * plugin that cannot be loaded is skipped (the others and the files still answer), and `warn` is
 * told once per plugin why (the message, and the error as `problem`: the CLI prints it).
 */
export const pluginCredentials = (
  warn?: (message: string, problem?: unknown) => void,
): CredentialLookup =>
async (
  registry,
) => {
  const { plugins } = readCatalog();
  const askers = plugins.filter((p) => p.credentials).sort((a, b) =>
    Number(a.builtIn) - Number(b.builtIn)
  );
  if (askers.length === 0) return undefined;
  // the loader (and the checks of a plugin's manifest it runs) only once a registry asks
  const { loadPlugin } = await import("./load.ts");
  for (const known of askers) {
    let plugin;
    try {
      plugin = await loadPlugin(known);
    } catch (error) {
      // A broken plugin must not stop the others (or the Docker config) from answering.
      if (!warned.has(known.name)) warn?.(firstLine(error), error);
      warned.add(known.name);
      continue;
    }
    if (!plugin.credentials) continue;
    let credential: Credential | undefined;
    try {
      credential = await plugin.credentials(registry, { config: pluginConfig(known) });
    } catch (error) {
      throw new AuthError(`plugin "${known.name}": ${firstLine(error)}`, { cause: error });
    }
    if (credential !== undefined) return checkCredential(credential, known.name, registry);
  }
  return undefined;
};

function checkCredential(value: unknown, plugin: string, registry: string): Credential {
  const c = value as Credential;
  const text = (v: unknown) => typeof v === "string" && v !== "";
  if (
    typeof c === "object" && c !== null &&
    ((text(c.username) && text(c.password)) || text(c.identityToken) || text(c.registryToken))
  ) {
    return c;
  }
  throw new PluginError(
    `plugin "${plugin}" returned unusable credentials for ${registry}: expected {username, password}, {identityToken} or {registryToken}`,
  );
}
