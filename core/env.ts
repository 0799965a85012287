/**
 * What `h3 env` reports: the paths h3 uses, its effective settings, and for one registry host the
 * transport settings and the credential store in force.
 * @module
 */
import { policiesOfHost, type TrustPolicy } from "./sign/policy.ts";
import { helmRegistryConfigPath, podmanAuthPath } from "./auth/credentials.ts";
import {
  dockerConfigPath,
  findAuth,
  helperName,
  readDockerConfig,
  registryHost,
} from "./auth/docker_config.ts";
import {
  configPath,
  loadConfig,
  resolveConcurrency,
  resolveTransport,
  type TransportFlags,
  withCertsDir,
} from "./config.ts";
import { RegistryRouting } from "./routing.ts";
import { apiHost } from "./transport/client.ts";
import { initialScheme } from "./transport/options.ts";
import { proxyFor, proxyFromEnv } from "./transport/proxy.ts";
import { cacheDir, dockerConfigDir, helmHome, pluginsDir } from "./paths.ts";

/** Where a registry's credentials come from: a helper's name, `file`, or `none`. */
export interface CredentialStore {
  /** `docker-credential-<store>` when a helper, `file` for an `auths` entry, `none` otherwise. */
  store: string;
  /** The config file that named the helper or holds the entry; null with `none`. */
  file: string | null;
}

/** The settings in force for one registry host. */
export interface RegistryReport {
  /** The registry host reported on. */
  host: string;
  /** CredentialStore.store: a helper's name, `file` or `none`. */
  credentialsStore: string;
  /** CredentialStore.file. */
  credentialsFile: string | null;
  /** The scheme h3 starts with for this host, given the settings below. */
  scheme: "http" | "https";
  /** true/false when set; null: plain HTTP on loopback hosts, HTTPS elsewhere. */
  plainHttp: boolean | null;
  /** The CA file given for the host (option, `H3_CA_FILE` or config), or null. */
  caFile: string | null;
  /** The host's certs.d folder in use (containers' layout), or null. */
  certsDir: string | null;
  /** CA files from that folder, used when `caFile` is null. */
  caFiles: string[];
  /** The client certificate for mutual TLS, or null. */
  certFile: string | null;
  /** The private key of `certFile`, or null. */
  keyFile: string | null;
  /** Whether server certificates go unchecked (the option, `H3_*`, config or registries.conf). */
  insecureSkipTlsVerify: boolean;
  /** The proxy h3 reaches this host's API through (no credentials shown), or null: direct. */
  proxy: string | null;
  /** Where pulls of this host's references go, after registries.conf's rewrites. */
  location: string;
  /** Mirrors pulls try first, in order (h3's config, then registries.conf). */
  mirrors: string[];
  /** registries.conf blocks this host. */
  blocked: boolean;
  /** The registries.conf file whose `[[registry]]` entry applies; null when none does. */
  registriesConf: string | null;
  /** The config's trust policies for this host's repositories; absent when there are none. */
  trust?: TrustPolicy[];
}

/** `h3 env --output json`: this shape is documented and kept stable. */
export interface EnvReport {
  /** h3's home (`HELM_HOME`). */
  helmHome: string;
  /** The chart cache, an OCI image layout. */
  cacheDir: string;
  /** Where plugins are installed. */
  pluginsDir: string;
  /** Docker's config folder (`DOCKER_CONFIG`). */
  dockerConfigDir: string;
  /** The Docker config file logins are stored in. */
  dockerConfigFile: string;
  /** h3's config file. */
  configFile: string;
  /** How many refs run at once. */
  concurrency: number;
  /** `HTTP_PROXY` (or `http_proxy`) as h3 reads it, credentials hidden; null when unset. */
  httpProxy: string | null;
  /** `HTTPS_PROXY` (or `https_proxy`), credentials hidden; null when unset. */
  httpsProxy: string | null;
  /** `NO_PROXY` (or `no_proxy`); null when unset. Loopback hosts never use a proxy. */
  noProxy: string | null;
  /** Present with `--registry HOST`. */
  registry?: RegistryReport;
}

/**
 * The credential store in force for a host, found as h3's lookup finds credentials: the first of
 * Docker's config, Helm's registry config and podman's auth file that names a helper for the host
 * (`credHelpers`, then `credsStore`) or holds an `auths` entry for it.
 */
export async function credentialStore(host: string): Promise<CredentialStore> {
  const files = [dockerConfigPath(), helmRegistryConfigPath(), podmanAuthPath()];
  for (const file of files) {
    if (file === undefined) continue;
    const config = await readDockerConfig(file);
    const helper = helperName(config, host);
    if (helper) return { store: helper, file };
    if (findAuth(config, host)) return { store: "file", file };
  }
  return { store: "none", file: null };
}

/**
 * Gathers the report; with `registry`, the settings for that host too (`flags` over the `H3_*`
 * variables and the config, as a client opened with them reaches it).
 */
export async function envReport(
  registry?: string,
  flags: TransportFlags = {},
): Promise<EnvReport> {
  const config = await loadConfig(configPath());
  const proxies = proxyFromEnv();
  const report: EnvReport = {
    helmHome: helmHome(),
    cacheDir: cacheDir(),
    pluginsDir: pluginsDir(),
    dockerConfigDir: dockerConfigDir(),
    dockerConfigFile: dockerConfigPath(),
    configFile: config.path,
    concurrency: resolveConcurrency(flags.concurrency, config),
    httpProxy: hideCredentials(proxies.httpProxy),
    httpsProxy: hideCredentials(proxies.httpsProxy),
    noProxy: proxies.noProxy ?? null,
  };
  if (registry !== undefined) {
    const host = registryHost(registry);
    const route = (await RegistryRouting.load(config)).describe(host);
    const env = (name: string) => Deno.env.get(name);
    const fallback = { insecureSkipTlsVerify: route.insecure || undefined };
    const settings = await withCertsDir(resolveTransport(host, flags, config, env, fallback), host);
    const { store, file } = await credentialStore(host);
    const scheme = initialScheme(host, settings);
    const proxy = proxyFor(new URL(`${scheme}://${apiHost(host)}/v2/`), proxies);
    report.registry = {
      host,
      credentialsStore: store,
      credentialsFile: file,
      scheme,
      plainHttp: settings.plainHttp ?? null,
      caFile: settings.caFile ?? null,
      certsDir: settings.certsDir ?? null,
      caFiles: settings.caFiles ?? [],
      certFile: settings.certFile ?? null,
      keyFile: settings.keyFile ?? null,
      insecureSkipTlsVerify: settings.insecureSkipTlsVerify,
      proxy: proxy?.url.href ?? null,
      location: route.location,
      mirrors: route.mirrors,
      blocked: route.blocked,
      registriesConf: route.file,
    };
    const trust = policiesOfHost(config.trust ?? [], host);
    if (trust.length) report.registry.trust = trust;
  }
  return report;
}

/** The report as `helm env`-style variables, in print order; unset values are empty strings. */
export function envVariables(report: EnvReport): [string, string][] {
  const lines: [string, string | number | boolean | null][] = [
    ["HELM_HOME", report.helmHome],
    ["HELM_PLUGINS", report.pluginsDir],
    ["DOCKER_CONFIG", report.dockerConfigDir],
    ["H3_CACHE_DIR", report.cacheDir],
    ["H3_CONFIG", report.configFile],
    ["H3_DOCKER_CONFIG_FILE", report.dockerConfigFile],
    ["H3_CONCURRENCY", report.concurrency],
    ["HTTP_PROXY", report.httpProxy],
    ["HTTPS_PROXY", report.httpsProxy],
    ["NO_PROXY", report.noProxy],
  ];
  const r = report.registry;
  if (r) {
    lines.push(
      ["H3_REGISTRY", r.host],
      ["H3_CREDENTIALS_STORE", r.credentialsStore],
      ["H3_CREDENTIALS_FILE", r.credentialsFile],
      ["H3_SCHEME", r.scheme],
      ["H3_PLAIN_HTTP", r.plainHttp],
      ["H3_CA_FILE", r.caFile],
      ["H3_CERTS_DIR", r.certsDir],
      ["H3_CA_FILES", r.caFiles.join(":")],
      ["H3_CERT_FILE", r.certFile],
      ["H3_KEY_FILE", r.keyFile],
      ["H3_INSECURE_SKIP_TLS_VERIFY", r.insecureSkipTlsVerify],
      ["H3_PROXY", r.proxy],
      ["H3_LOCATION", r.location],
      ["H3_MIRRORS", r.mirrors.join(" ")],
      ["H3_BLOCKED", r.blocked],
      ["H3_REGISTRIES_CONF", r.registriesConf],
    );
    if (r.trust) lines.push(["H3_TRUST", r.trust.map(describePolicy).join("; ")]);
  }
  return lines.map(([key, value]) => [key, value === null ? "" : String(value)]);
}

/** A trust policy on one line: `scope: keys=a,b keyrings=c acceptReferences=d`. */
function describePolicy(policy: TrustPolicy): string {
  const parts = [`keys=${policy.keys.join(",")}`, `keyrings=${policy.keyrings.join(",")}`];
  if (policy.acceptReferences.length) {
    parts.push(`acceptReferences=${policy.acceptReferences.join(",")}`);
  }
  if (policy.keyless.length) {
    const exact = (value?: string, pattern?: string) => value ?? `/${pattern}/`;
    const signers = policy.keyless.map((k) =>
      `${exact(k.identity, k.identityRegexp)}@${exact(k.issuer, k.issuerRegexp)}`
    );
    parts.push(`keyless=${signers.join(",")}`);
  }
  return `${policy.scope}: ${parts.join(" ")}`;
}

/** A proxy URL with its password replaced by `***` (a proxy URL may carry credentials). */
function hideCredentials(raw: string | undefined): string | null {
  if (!raw) return null;
  return raw.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*:)[^@/]*@/i, "$1***@");
}
