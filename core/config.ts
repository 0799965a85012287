/**
 * h3's own settings: a small YAML file at `$HELM_HOME/config.yaml` (or `$H3_CONFIG`) with defaults
 * such as `concurrency` and per-registry-host transport settings. Flags win over environment
 * variables (`H3_CONCURRENCY`, `H3_PLAIN_HTTP`, ...), which win over the file, which wins over
 * h3's defaults.
 *
 * ```yaml
 * concurrency: 4
 * timeout: 30
 * maxRetryAfter: 120
 * registries:
 *   registry.internal:5000:
 *     plainHttp: true
 *   charts.example.com:
 *     caFile: certs/example-ca.pem
 *     certFile: certs/client.pem
 *     keyFile: certs/client-key.pem
 * trust:                       # see core/sign/policy.ts
 *   - scope: charts.example.com/stable
 *     keys: [keys/cosign.pub]
 * ```
 * @module
 */
import { firstLine, H3Error, option, phrase, SettingError } from "./errors.ts";
import type { Credential } from "./auth/types.ts";
import { findCertsDir } from "./certs_d.ts";
import { helmHome } from "./paths.ts";
import { proxyFromEnv } from "./transport/proxy.ts";
import { defaultMaxRetryAfterMs } from "./transport/rate_limit.ts";
import type { TransportOptions } from "./transport/options.ts";
import { suggest } from "./suggest.ts";
import { parseTrustPolicies, type TrustPolicy } from "./sign/policy.ts";
import { readTextIfExists } from "./write_file.ts";

/**
 * How h3 talks to one registry host, as the config file holds it (`registries.HOST`): the scheme
 * and TLS settings of `TransportOptions`; every field optional (unset means h3's default).
 */
export type RegistrySettings = Pick<
  TransportOptions,
  "plainHttp" | "caFile" | "certFile" | "keyFile" | "insecureSkipTlsVerify"
>;

/** The parsed config file. */
export interface Config {
  /** Where it was read from (it may not exist). */
  path: string;
  /** How many refs (and blobs) a command transfers at once. */
  concurrency?: number;
  /** Seconds a registry may stay silent (no headers, no body data) before a request is abandoned. */
  timeout?: number;
  /** The longest `Retry-After` (seconds) a rate-limited request waits out; longer ones fail. */
  maxRetryAfter?: number;
  /** Settings by registry host, `host:port` or a bare host (matches every port). */
  registries: Record<string, RegistrySettings>;
  /** Mirrors to pull from before a host (`registries.HOST.mirrors`), by lower-case host. */
  mirrors?: Record<string, string[]>;
  /** Trust policies: which keys must have signed the charts of a registry or repository prefix. */
  trust?: TrustPolicy[];
}

/**
 * The transport settings a caller gives (the command's flags, a library caller's options; undefined
 * where not given): `RegistrySettings` with `concurrency` and `timeoutMs`, and credentials.
 */
export type TransportFlags =
  & RegistrySettings
  & Pick<TransportOptions, "concurrency" | "timeoutMs">
  & {
    /**
     * The caller's own credentials (`--username` ..., or a library caller's), used instead of
     * stored ones for the registries it names (not their mirrors); a function is asked on first
     * use (a password may come from stdin).
     */
    credential?: Credential | (() => Promise<Credential | undefined>);
  };

/**
 * The settings in force for one host once resolved (options, then `H3_*`, then the config, then
 * certs.d and defaults), as the transport takes them: the settings of `TransportOptions`, with
 * those that always have a value required.
 */
export type TransportSettings =
  & Pick<TransportOptions, keyof RegistrySettings | "caFiles" | "certsDir">
  & Required<
    Pick<
      TransportOptions,
      "insecureSkipTlsVerify" | "concurrency" | "timeoutMs" | "proxy" | "maxRetryAfterMs"
    >
  >;

/** A source of environment variables (`Deno.env.get` by default). */
export type EnvLookup = (name: string) => string | undefined;

/** h3's default for how many transfers run at once. */
export const defaultConcurrency = 8;

const maxConcurrency = 256;

/** h3's default idle timeout for a registry, in seconds. */
export const defaultTimeoutSeconds = 60;

const maxTimeoutSeconds = 3600;

/** Environment variables h3 reads for transport settings, by setting. */
export const envNames = {
  concurrency: "H3_CONCURRENCY",
  timeout: "H3_TIMEOUT",
  maxRetryAfter: "H3_MAX_RETRY_AFTER",
  plainHttp: "H3_PLAIN_HTTP",
  caFile: "H3_CA_FILE",
  certFile: "H3_CERT_FILE",
  keyFile: "H3_KEY_FILE",
  insecureSkipTlsVerify: "H3_INSECURE_SKIP_TLS_VERIFY",
} as const;

const booleanKeys = ["plainHttp", "insecureSkipTlsVerify"] as const;
const fileKeys = ["caFile", "certFile", "keyFile"] as const;
const registryKeys: readonly string[] = [...booleanKeys, ...fileKeys, "mirrors"];
const topKeys = ["concurrency", "timeout", "maxRetryAfter", "registries", "trust"];

/** The config file: `$H3_CONFIG`, else `$HELM_HOME/config.yaml`. */
export function configPath(): string {
  return Deno.env.get("H3_CONFIG") || `${helmHome()}/config.yaml`;
}

/** Reads the config file; a missing file is an empty config, a malformed one a one-line error. */
export async function loadConfig(path: string = configPath()): Promise<Config> {
  const text = await readTextIfExists(
    path,
    (error) => new H3Error(`cannot read config ${path}: ${error.message}`),
  );
  return text === undefined ? { path, registries: {} } : await parseConfig(text, path);
}

/**
 * Parses and checks config text; relative file names are resolved against the file's folder. The
 * YAML parser is loaded on first use: most runs have no config file, and a command's start does
 * without it.
 */
export async function parseConfig(text: string, path: string): Promise<Config> {
  const { parse } = await import("yaml");
  const fail = (key: string, problem: string): never => {
    throw new H3Error(`invalid config ${path}: ${key === "" ? "" : `"${key}" `}${problem}`);
  };
  let data: unknown;
  try {
    data = parse(text);
  } catch (error) {
    fail("", firstLine(error).replace(/:$/, ""));
  }
  const config: Config = { path, registries: {} };
  if (data === null || data === undefined) return config;
  if (!isMap(data)) return fail("", "must be a mapping of settings");
  for (const key of Object.keys(data)) {
    if (!topKeys.includes(key)) fail(key, unknownKey(topKeys, key));
  }
  if (data.concurrency !== undefined && data.concurrency !== null) {
    config.concurrency = concurrencyValue(data.concurrency, (p) => fail("concurrency", p));
  }
  if (data.timeout !== undefined && data.timeout !== null) {
    config.timeout = timeoutValue(data.timeout, (p) => fail("timeout", p));
  }
  if (data.maxRetryAfter !== undefined && data.maxRetryAfter !== null) {
    config.maxRetryAfter = timeoutValue(data.maxRetryAfter, (p) => fail("maxRetryAfter", p));
  }
  const registries = data.registries ?? {};
  if (!isMap(registries)) fail("registries", "must be a mapping of registry hosts");
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) || "/" : ".";
  const trust = parseTrustPolicies(data.trust, dir, fail);
  if (trust.length) config.trust = trust;
  for (const [host, value] of Object.entries(registries as Record<string, unknown>)) {
    const where = `registries.${host}`;
    if (value === null) continue;
    if (!isMap(value)) fail(where, "must be a mapping of settings");
    const settings: RegistrySettings = {};
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (!registryKeys.includes(key)) fail(`${where}.${key}`, unknownKey(registryKeys, key));
      if (key === "mirrors") {
        const valid = Array.isArray(v) &&
          v.every((m) => typeof m === "string" && /^[^\s/:]+(:\d+)?(\/[^\s]*)?$/.test(m));
        if (!valid) fail(`${where}.mirrors`, "must be a list of host[:port][/path] locations");
        (config.mirrors ??= {})[host.toLowerCase()] = v as string[];
      } else if ((booleanKeys as readonly string[]).includes(key)) {
        if (typeof v !== "boolean") fail(`${where}.${key}`, "must be true or false");
        settings[key as typeof booleanKeys[number]] = v as boolean;
      } else {
        if (typeof v !== "string" || v === "") fail(`${where}.${key}`, "must be a file name");
        const file = v as string;
        settings[key as typeof fileKeys[number]] = file.startsWith("/") ? file : `${dir}/${file}`;
      }
    }
    config.registries[host.toLowerCase()] = settings;
  }
  return config;
}

/** The config's settings for a host: a `host:port` entry, else a bare-host entry, else none. */
export function registrySettings(config: Config, host: string): RegistrySettings {
  const key = host.toLowerCase();
  const bare = key.startsWith("[") ? key.slice(0, key.indexOf("]") + 1) : key.split(":")[0];
  return config.registries[key] ?? config.registries[bare] ?? {};
}

/**
 * The transport settings in force for a registry host: each setting from the flags, else the
 * environment, else the config file, else `fallback` (registries.conf's `insecure`), else h3's
 * default. Bad environment values are usage errors.
 */
export function resolveTransport(
  host: string,
  flags: TransportFlags,
  config: Config,
  env: EnvLookup = (name) => Deno.env.get(name),
  fallback: { insecureSkipTlsVerify?: boolean } = {},
): TransportSettings {
  const fromFile = registrySettings(config, host);
  const envBoolean = (key: typeof booleanKeys[number]) => {
    const raw = env(envNames[key]);
    if (raw === undefined || raw === "") return undefined;
    if (/^(1|true|yes)$/i.test(raw)) return true;
    if (/^(0|false|no)$/i.test(raw)) return false;
    throw new SettingError(`invalid ${envNames[key]} "${raw}": use true or false`, {
      setting: envNames[key],
      value: raw,
    });
  };
  const envText = (key: typeof fileKeys[number]) => env(envNames[key]) || undefined;
  const settings: TransportSettings = {
    plainHttp: flags.plainHttp ?? envBoolean("plainHttp") ?? fromFile.plainHttp,
    caFile: flags.caFile ?? envText("caFile") ?? fromFile.caFile,
    certFile: flags.certFile ?? envText("certFile") ?? fromFile.certFile,
    keyFile: flags.keyFile ?? envText("keyFile") ?? fromFile.keyFile,
    insecureSkipTlsVerify: flags.insecureSkipTlsVerify ?? envBoolean("insecureSkipTlsVerify") ??
      fromFile.insecureSkipTlsVerify ?? fallback.insecureSkipTlsVerify ?? false,
    concurrency: resolveConcurrency(flags.concurrency, config, env),
    timeoutMs: flags.timeoutMs ?? resolveTimeoutSeconds(config, env) * 1000,
    proxy: proxyFromEnv(env),
    maxRetryAfterMs: resolveMaxRetryAfterSeconds(config, env) * 1000,
  };
  if ((settings.certFile === undefined) !== (settings.keyFile === undefined)) {
    throw new SettingError(
      phrase`a client certificate for ${host} needs both a cert file and a key file (${
        option("certFile")
      } and ${option("keyFile")}, or certFile and keyFile in ${config.path})`,
      { setting: settings.certFile === undefined ? "certFile" : "keyFile" },
    );
  }
  return settings;
}

/** How many transfers run at once: the flag, else `H3_CONCURRENCY`, else the config, else 8. */
export function resolveConcurrency(
  flag: number | undefined,
  config: Config,
  env: EnvLookup = (name) => Deno.env.get(name),
): number {
  if (flag !== undefined) return flag;
  const raw = env(envNames.concurrency);
  if (raw === undefined || raw === "") return config.concurrency ?? defaultConcurrency;
  return concurrencyValue(Number(raw), (problem) => {
    throw new SettingError(`invalid ${envNames.concurrency} "${raw}": ${problem}`, {
      setting: envNames.concurrency,
      value: raw,
    });
  });
}

/** The idle timeout in seconds: `H3_TIMEOUT`, else the config, else 60 (the flag is checked first). */
function resolveTimeoutSeconds(config: Config, env: EnvLookup): number {
  const raw = env(envNames.timeout);
  if (raw === undefined || raw === "") return config.timeout ?? defaultTimeoutSeconds;
  return timeoutValue(Number(raw), (problem) => {
    throw new SettingError(`invalid ${envNames.timeout} "${raw}": ${problem}`, {
      setting: envNames.timeout,
      value: raw,
    });
  });
}

/** The longest Retry-After waited out, in seconds: `H3_MAX_RETRY_AFTER`, else the config, else 60. */
function resolveMaxRetryAfterSeconds(config: Config, env: EnvLookup): number {
  const raw = env(envNames.maxRetryAfter);
  if (raw === undefined || raw === "") return config.maxRetryAfter ?? defaultMaxRetryAfterMs / 1000;
  return timeoutValue(Number(raw), (problem) => {
    throw new SettingError(`invalid ${envNames.maxRetryAfter} "${raw}": ${problem}`, {
      setting: envNames.maxRetryAfter,
      value: raw,
    });
  });
}

/** Checks a timeout in seconds: a number above 0, at most an hour. */
export function timeoutValue(value: unknown, fail: (problem: string) => never): number {
  if (
    typeof value !== "number" || !Number.isFinite(value) || value <= 0 ||
    value > maxTimeoutSeconds
  ) {
    return fail(`must be a number of seconds above 0, at most ${maxTimeoutSeconds}`);
  }
  return value;
}

/**
 * Resolves the transport settings for a host (see resolveTransport) from `config` (default: the
 * config file, read now).
 */
export async function transportSettings(
  host: string,
  flags: TransportFlags = {},
  { config, ...fallback }: { insecureSkipTlsVerify?: boolean; config?: Config } = {},
): Promise<TransportSettings> {
  const env: EnvLookup = (name) => Deno.env.get(name);
  const settings = resolveTransport(host, flags, config ?? await loadConfig(), env, fallback);
  return await withCertsDir(settings, host);
}

/**
 * The settings with the host's certs.d folder applied where nothing set them: its CAs when no
 * `caFile` is set, its client certificate when no `certFile`/`keyFile` is.
 */
export async function withCertsDir(
  settings: TransportSettings,
  host: string,
  env: EnvLookup = (name) => Deno.env.get(name),
): Promise<TransportSettings> {
  const found = await findCertsDir(host, env);
  if (!found) return settings;
  const result: TransportSettings = { ...settings, certsDir: found.dir };
  if (!settings.caFile && found.caFiles.length) result.caFiles = found.caFiles;
  if (!settings.certFile && !settings.keyFile && found.certFile) {
    result.certFile = found.certFile;
    result.keyFile = found.keyFile;
  }
  return result;
}

function concurrencyValue(value: unknown, fail: (problem: string) => never): number {
  if (
    typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > maxConcurrency
  ) {
    return fail(`must be a whole number from 1 to ${maxConcurrency}`);
  }
  return value;
}

function unknownKey(known: readonly string[], key: string): string {
  const close = suggest(key, known);
  return `is not a setting${
    close ? `; did you mean "${close}"?` : ` (known: ${known.join(", ")})`
  }`;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
