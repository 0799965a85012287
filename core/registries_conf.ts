/**
 * containers-registries.conf (v2), as podman, skopeo, buildah and CRI-O read it: `[[registry]]`
 * entries matched by `prefix` (longest wins), with a `location` that rewrites the reference,
 * `insecure`, `blocked`, and `[[registry.mirror]]` endpoints (`location`, `insecure`,
 * `pull-from-mirror`). Files: `$CONTAINERS_REGISTRIES_CONF`, else the user's
 * `$XDG_CONFIG_HOME/containers/registries.conf` (default `~/.config/...`) when it exists, else
 * `/etc/containers/registries.conf`; then `*.conf` drop-ins (by name) from
 * `/etc/containers/registries.conf.d` (unless the user's file is used) and the user's
 * `registries.conf.d`, each replacing entries with the same prefix. Short names, aliases,
 * search registries and v1 tables do not apply to h3 and are ignored. The TOML parser is loaded
 * only when a file exists.
 * @module
 */
import { systemPath, userConfigDir } from "./certs_d.ts";
import { firstLine, H3Error } from "./errors.ts";

/** One endpoint: where a registry (or a mirror of it) is reached. */
export interface Endpoint {
  /** `host[:port][/path]`: what the prefix is replaced with. Empty for a `*.domain` prefix. */
  location: string;
  /** Skip certificate checks for this endpoint. */
  insecure: boolean;
  /** Mirrors only: `all` (default), `digest-only` or `tag-only`. */
  pullFromMirror?: "all" | "digest-only" | "tag-only";
}

/** One `[[registry]]` entry, normalized. */
export interface RegistryEntry extends Endpoint {
  /** What references it applies to: `host[/path]` or `*.domain`. */
  prefix: string;
  /** Refuse every access to references it matches. */
  blocked: boolean;
  /** Mirrors only for pulls by digest (the registry-wide form of `pull-from-mirror`). */
  mirrorByDigestOnly: boolean;
  mirrors: Endpoint[];
  /** The file it came from. */
  file: string;
}

/** The registries configuration in force. */
export interface RegistriesConf {
  /** Files read, in order (those that exist). */
  files: string[];
  /** Entries, one per prefix. */
  registries: RegistryEntry[];
}

/** A registries.conf that cannot be used: the file and the problem. */
export class RegistriesConfError extends H3Error {
  override name = "RegistriesConfError";
  /** The file at fault. */
  readonly file: string;
  /** `problem` found in `file`. */
  constructor(file: string, problem: string) {
    super(`invalid registries configuration ${file}: ${problem}`);
    this.file = file;
  }
}

/** Access to a registry the configuration blocks. */
export class BlockedRegistryError extends H3Error {
  override name = "BlockedRegistryError";
  /** The entry that blocks it. */
  readonly entry: RegistryEntry;
  /** `reference` is blocked by `entry`. */
  constructor(reference: string, entry: RegistryEntry) {
    super(`registry ${entry.prefix} is blocked in ${entry.file}: refusing ${reference}`);
    this.entry = entry;
  }
}

type Env = (name: string) => string | undefined;

async function exists(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

async function confFiles(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.name.endsWith(".conf") && !entry.isDirectory) names.push(entry.name);
    }
  } catch {
    return [];
  }
  return names.sort().map((name) => `${dir}/${name}`);
}

/** The files to read, in order, as containers/image picks them. */
export async function registriesConfFiles(
  env: Env = (name) => Deno.env.get(name),
): Promise<string[]> {
  const userDir = `${userConfigDir(env)}/containers`;
  const systemDir = systemPath("/etc/containers", env);
  const override = env("CONTAINERS_REGISTRIES_CONF");
  const userFile = `${userDir}/registries.conf`;
  let main: string;
  let dropInDirs: string[];
  if (override) {
    [main, dropInDirs] = [override, [
      `${systemDir}/registries.conf.d`,
      `${userDir}/registries.conf.d`,
    ]];
  } else if (await exists(userFile)) {
    [main, dropInDirs] = [userFile, [`${userDir}/registries.conf.d`]];
  } else {
    main = `${systemDir}/registries.conf`;
    dropInDirs = [`${systemDir}/registries.conf.d`, `${userDir}/registries.conf.d`];
  }
  const files = (await exists(main)) ? [main] : [];
  for (const dir of dropInDirs) files.push(...await confFiles(dir));
  return files;
}

/**
 * Reads the configuration in force; empty when no file exists or the files hold only comments (the
 * parser is not loaded then).
 */
export async function loadRegistriesConf(
  env: Env = (name) => Deno.env.get(name),
): Promise<RegistriesConf> {
  const files = await registriesConfFiles(env);
  const byPrefix = new Map<string, RegistryEntry>();
  const texts = await Promise.all(files.map((file) =>
    Deno.readTextFile(file).catch((error) => {
      throw unreadable(file, error);
    })
  ));
  // Distributions ship a registries.conf of comments alone: no table, nothing to parse.
  if (texts.every(onlyComments)) return { files, registries: [] };
  const { parse } = await import("smol-toml");
  for (const [at, file] of files.entries()) {
    let data: Record<string, unknown>;
    try {
      data = parse(texts[at]) as Record<string, unknown>;
    } catch (error) {
      throw unreadable(file, error);
    }
    // A later file replaces entries with the same prefix; within one file the first one wins.
    const seen = new Set<string>();
    for (const entry of parseEntries(data, file)) {
      if (seen.has(entry.prefix)) continue;
      seen.add(entry.prefix);
      byPrefix.set(entry.prefix, entry);
    }
  }
  const registries = [...byPrefix.values()];
  checkConflicts(registries);
  return { files, registries };
}

/** The error for a file that could not be read or parsed: its message's first line. */
function unreadable(file: string, error: unknown): RegistriesConfError {
  return new RegistriesConfError(file, firstLine(error));
}

/**
 * Whether a TOML text holds nothing but blank lines and comments, as TOML allows them (no control
 * character but tab in a comment): it parses to an empty table.
 */
function onlyComments(text: string): boolean {
  for (const raw of text.split("\n")) {
    const line = (raw.endsWith("\r") ? raw.slice(0, -1) : raw).replace(/^[ \t]+/, "");
    if (line === "") continue;
    if (line[0] !== "#") return false;
    for (let i = 1; i < line.length; i++) {
      const c = line.charCodeAt(i);
      if ((c < 0x20 && c !== 0x09) || c === 0x7f) return false;
    }
  }
  return true;
}

function text(value: unknown, file: string, where: string): string {
  if (value === undefined) return "";
  if (typeof value !== "string") throw new RegistriesConfError(file, `${where} must be a string`);
  return value;
}

function flag(value: unknown, file: string, where: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean") {
    throw new RegistriesConfError(file, `${where} must be true or false`);
  }
  return value;
}

/** A location or prefix without trailing slashes; a URL scheme is refused, as containers does. */
function location(value: string, file: string, where: string): string {
  const trimmed = value.replace(/\/+$/, "");
  if (/^https?:\/\//i.test(trimmed)) {
    throw new RegistriesConfError(file, `${where} "${value}": URI schemes are not supported`);
  }
  return trimmed;
}

const pullFromMirrorValues = ["all", "digest-only", "tag-only"];

function parseEntries(data: Record<string, unknown>, file: string): RegistryEntry[] {
  const list = data.registry;
  if (list === undefined) return [];
  if (!Array.isArray(list)) {
    throw new RegistriesConfError(file, "registry must be [[registry]] tables");
  }
  return list.map((raw, i) => {
    const where = `registry #${i + 1}`;
    if (typeof raw !== "object" || raw === null) {
      throw new RegistriesConfError(file, `${where} must be a table`);
    }
    const r = raw as Record<string, unknown>;
    const loc = location(text(r.location, file, `${where} location`), file, `${where} location`);
    let prefix = location(text(r.prefix, file, `${where} prefix`), file, `${where} prefix`);
    if (!prefix) {
      if (!loc) throw new RegistriesConfError(file, `${where}: both location and prefix are unset`);
      prefix = loc;
    } else if (prefix.startsWith("*.")) {
      if (/[/@:]/.test(prefix)) {
        throw new RegistriesConfError(
          file,
          `wildcarded prefix should be in the format *.example.com, not "${prefix}"`,
        );
      }
    } else if (!loc) {
      throw new RegistriesConfError(
        file,
        `${where}: location is unset and prefix is not in the format *.example.com`,
      );
    }
    if (r["pull-from-mirror"] !== undefined) {
      throw new RegistriesConfError(
        file,
        `pull-from-mirror must not be set for a non-mirror registry "${prefix}"`,
      );
    }
    const mirrorByDigestOnly = flag(
      r["mirror-by-digest-only"],
      file,
      `${where} mirror-by-digest-only`,
    );
    const rawMirrors = r.mirror ?? [];
    if (!Array.isArray(rawMirrors)) {
      throw new RegistriesConfError(file, `${where} mirror must be [[registry.mirror]] tables`);
    }
    const mirrors = rawMirrors.map((m, j): Endpoint => {
      const at = `${where} mirror #${j + 1}`;
      const mirror = (typeof m === "object" && m !== null ? m : {}) as Record<string, unknown>;
      const mirrorLocation = location(
        text(mirror.location, file, `${at} location`),
        file,
        `${at} location`,
      );
      if (!mirrorLocation) throw new RegistriesConfError(file, `${at}: mirror location is unset`);
      const pull = text(mirror["pull-from-mirror"], file, `${at} pull-from-mirror`);
      if (pull && mirrorByDigestOnly) {
        throw new RegistriesConfError(
          file,
          `cannot set mirror-by-digest-only for "${prefix}" and pull-from-mirror for its mirror "${mirrorLocation}"`,
        );
      }
      if (pull && !pullFromMirrorValues.includes(pull)) {
        throw new RegistriesConfError(
          file,
          `unsupported pull-from-mirror value "${pull}" for mirror "${mirrorLocation}"`,
        );
      }
      return {
        location: mirrorLocation,
        insecure: flag(mirror.insecure, file, `${at} insecure`),
        ...(pull ? { pullFromMirror: pull as Endpoint["pullFromMirror"] } : {}),
      };
    });
    return {
      prefix,
      location: loc,
      insecure: flag(r.insecure, file, `${where} insecure`),
      blocked: flag(r.blocked, file, `${where} blocked`),
      mirrorByDigestOnly,
      mirrors,
      file,
    };
  });
}

/** Entries for one location must agree on `insecure` and `blocked`. */
function checkConflicts(registries: RegistryEntry[]): void {
  const byLocation = new Map<string, RegistryEntry>();
  for (const entry of registries) {
    const key = entry.location || entry.prefix;
    const other = byLocation.get(key);
    if (!other) {
      byLocation.set(key, entry);
      continue;
    }
    for (const setting of ["insecure", "blocked"] as const) {
      if (other[setting] !== entry[setting]) {
        throw new RegistriesConfError(
          entry.file,
          `registry "${key}" is defined multiple times with conflicting "${setting}" settings`,
        );
      }
    }
  }
}

/**
 * How far `prefix` matches `name` (a reference without tag, `host/path`, or with one): the
 * length of the matched part, or -1. `example.com/foo` matches `example.com/foo`,
 * `example.com/foo/bar` and `example.com/foo:tag`, not `example.com/foobar`; `*.example.com`
 * matches any host under example.com.
 */
export function matchPrefix(name: string, prefix: string): number {
  if (prefix.startsWith("*.")) {
    const domain = prefix.slice(1);
    const index = name.indexOf(domain);
    if (index < 0 || name.slice(0, index).includes("/")) return -1;
    const end = index + domain.length;
    return end === name.length || ":/@".includes(name[end]) ? end : -1;
  }
  if (!name.startsWith(prefix)) return -1;
  return name.length === prefix.length || ":/@".includes(name[prefix.length]) ? prefix.length : -1;
}

/** The entry for `name` (`host/repository`): the longest matching prefix; undefined when none. */
export function findRegistry(conf: RegistriesConf, name: string): RegistryEntry | undefined {
  let best: RegistryEntry | undefined;
  for (const entry of conf.registries) {
    if (matchPrefix(name, entry.prefix) >= 0 && entry.prefix.length > (best?.prefix.length ?? 0)) {
      best = entry;
    }
  }
  return best;
}

/** One place to pull a reference from: its `host/repository` there and how to reach it. */
export interface PullSource {
  /** `host/repository` at this endpoint. */
  name: string;
  /** Skip certificate checks. */
  insecure: boolean;
  /** Whether this is a mirror (false: the primary location). */
  mirror: boolean;
}

/**
 * Where to pull `name` from (`host/repository`; `byDigest` when the reference pins a digest):
 * the entry's mirrors that apply, in order, then the primary location, each with the matched
 * prefix replaced by the endpoint's location. `extraMirrors` (h3's own config) come first.
 */
export function pullSources(
  entry: RegistryEntry | undefined,
  name: string,
  byDigest: boolean,
  extraMirrors: string[] = [],
): PullSource[] {
  const host = name.slice(0, name.indexOf("/"));
  const path = name.slice(host.length);
  const sources: PullSource[] = extraMirrors.map((m) => ({
    name: `${m.replace(/\/+$/, "")}${path}`,
    insecure: false,
    mirror: true,
  }));
  if (!entry) return [...sources, { name, insecure: false, mirror: false }];
  const length = matchPrefix(name, entry.prefix);
  const rewrite = (endpoint: Endpoint) =>
    endpoint.location ? endpoint.location + name.slice(length) : name;
  for (const mirror of entry.mirrors) {
    const allowed = entry.mirrorByDigestOnly
      ? byDigest
      : mirror.pullFromMirror === "digest-only"
      ? byDigest
      : mirror.pullFromMirror === "tag-only"
      ? !byDigest
      : true;
    if (allowed) sources.push({ name: rewrite(mirror), insecure: mirror.insecure, mirror: true });
  }
  sources.push({ name: rewrite(entry), insecure: entry.insecure, mirror: false });
  return sources;
}
