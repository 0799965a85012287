/**
 * TLS files per registry where podman, skopeo, buildah, CRI-O and Docker keep them, read as
 * containers/image reads them: the first of `$XDG_CONFIG_HOME/containers/certs.d/HOST[:PORT]/`
 * (default `~/.config/containers/certs.d`), `/etc/containers/certs.d/HOST[:PORT]/` and
 * `/etc/docker/certs.d/HOST[:PORT]/` that exists is used alone; in it `*.crt` files are CA
 * certificates, and `NAME.cert` with `NAME.key` a client certificate. `H3_SYSTEM_CONFIG_ROOT`
 * moves the `/etc` folders under another root (as containers' `RootForImplicitAbsolutePaths`).
 * @module
 */
import { SettingError } from "./errors.ts";
import { homeDir } from "./paths.ts";

/** What a certs.d folder holds for one registry. */
export interface CertsDir {
  /** The folder, e.g. `/etc/containers/certs.d/registry.example:5000`. */
  dir: string;
  /** CA certificates (`*.crt`), sorted by name. */
  caFiles: string[];
  /** The first client certificate by name (`*.cert`), with its key. */
  certFile?: string;
  /** The key of `certFile` (same name, `.key`). */
  keyFile?: string;
}

/** A source of environment variables. */
type Env = (name: string) => string | undefined;

/** The variable that moves `/etc/...` paths under another root (for tests and chroots). */
export const systemRootEnv = "H3_SYSTEM_CONFIG_ROOT";

/** A system path (`/etc/...`) under `H3_SYSTEM_CONFIG_ROOT` when that is set. */
export function systemPath(path: string, env: Env = (name) => Deno.env.get(name)): string {
  const root = env(systemRootEnv)?.replace(/\/+$/, "");
  return root ? `${root}${path}` : path;
}

/** The user's config folder: `$XDG_CONFIG_HOME`, else `~/.config`. */
export function userConfigDir(env: Env = (name) => Deno.env.get(name)): string {
  return env("XDG_CONFIG_HOME") || `${homeDir()}/.config`;
}

/** The certs.d roots in the order they are searched. */
export function certsDirRoots(env: Env = (name) => Deno.env.get(name)): string[] {
  return [
    `${userConfigDir(env)}/containers/certs.d`,
    systemPath("/etc/containers/certs.d", env),
    systemPath("/etc/docker/certs.d", env),
  ];
}

/**
 * The certs.d folder for `registry` (`host[:port]`, as the reference names it): the first root
 * that has one; undefined when none has. A client certificate without its key (or a key without
 * its certificate) is an error naming the files, as containers/image reports it.
 */
export async function findCertsDir(
  registry: string,
  env: Env = (name) => Deno.env.get(name),
): Promise<CertsDir | undefined> {
  if (registry.includes("/") || registry.startsWith(".")) return undefined;
  for (const root of certsDirRoots(env)) {
    const dir = `${root}/${registry}`;
    let names: string[];
    try {
      names = [];
      for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
        continue;
      }
      if (error instanceof Deno.errors.PermissionDenied) continue; // as containers/image: skipped
      throw error;
    }
    names.sort();
    const certs = names.filter((n) => n.endsWith(".cert"));
    for (const key of names.filter((n) => n.endsWith(".key"))) {
      if (!names.includes(`${key.slice(0, -4)}.cert`)) {
        throw new SettingError(
          `missing client certificate ${key.slice(0, -4)}.cert for key ${key} in ${dir}`,
          { setting: "certs.d", value: dir },
        );
      }
    }
    for (const cert of certs) {
      if (!names.includes(`${cert.slice(0, -5)}.key`)) {
        throw new SettingError(
          `missing key ${cert.slice(0, -5)}.key for client certificate ${cert} in ${dir} ` +
            `(CA certificates end in .crt)`,
          { setting: "certs.d", value: dir },
        );
      }
    }
    const found: CertsDir = {
      dir,
      caFiles: names.filter((n) => n.endsWith(".crt")).map((n) => `${dir}/${n}`),
    };
    if (certs.length) {
      found.certFile = `${dir}/${certs[0]}`;
      found.keyFile = `${dir}/${certs[0].slice(0, -5)}.key`;
    }
    return found;
  }
  return undefined;
}
