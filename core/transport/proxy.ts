/**
 * Which proxy a request goes through: `HTTPS_PROXY` for https URLs, `HTTP_PROXY` for http ones,
 * none for hosts `NO_PROXY` names, and never for loopback hosts (localhost, 127.0.0.0/8, ::1), as
 * Go's `http.ProxyFromEnvironment` decides for Docker, podman, skopeo and Helm. Both of h3's
 * HTTP paths (Deno's fetch and the `node:https` one) follow this one rule.
 * @module
 */
import { SettingError } from "../errors.ts";

/** The proxy variables in force (unset ones undefined), as read once from the environment. */
export interface ProxySettings {
  /** `HTTP_PROXY` (or `http_proxy`): the proxy for plain-HTTP requests. */
  httpProxy?: string;
  /** `HTTPS_PROXY` (or `https_proxy`): the proxy for HTTPS requests (tunnelled with CONNECT). */
  httpsProxy?: string;
  /** `NO_PROXY` (or `no_proxy`): comma-separated hosts, domains, IPs and CIDR ranges to reach directly. */
  noProxy?: string;
}

/** The variables each setting is read from, upper-case first (as Go reads them). */
export const proxyEnvNames = {
  httpProxy: ["HTTP_PROXY", "http_proxy"],
  httpsProxy: ["HTTPS_PROXY", "https_proxy"],
  noProxy: ["NO_PROXY", "no_proxy"],
} as const;

/** Reads the proxy variables: for each setting the first of its names that is set and not empty. */
export function proxyFromEnv(
  env: (name: string) => string | undefined = (name) => Deno.env.get(name),
): ProxySettings {
  const read = (names: readonly string[]) => names.map(env).find((v) => v) || undefined;
  return {
    httpProxy: read(proxyEnvNames.httpProxy),
    httpsProxy: read(proxyEnvNames.httpsProxy),
    noProxy: read(proxyEnvNames.noProxy),
  };
}

/** A proxy to send a request through: its URL (no credentials) and its Basic credentials. */
export interface Proxy {
  /** `http://host:port` (or `https://`). */
  url: URL;
  /** From the proxy URL's user info, decoded. */
  basicAuth?: { username: string; password: string };
}

const octet = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const loopbackIpv4 = new RegExp(`^127(?:\\.${octet}){3}$`);

/**
 * Whether `host` (a bare host name or IP, no port, no brackets) is a loopback address, as Docker
 * decides it: the name `localhost`, or a literal address in 127.0.0.0/8 or `::1`. Other names
 * (`evil.localhost`) are not: what a name resolves to is not known here.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === "localhost" || h === "::1" || h === "0:0:0:0:0:0:0:1" || loopbackIpv4.test(h);
}

/**
 * The proxy for a request to `url` under `settings`, or undefined to connect directly: loopback
 * hosts and hosts `NO_PROXY` matches go direct. A proxy value that is not a URL is a usage error.
 */
export function proxyFor(url: URL, settings: ProxySettings): Proxy | undefined {
  const raw = url.protocol === "https:" ? settings.httpsProxy : settings.httpProxy;
  if (!raw) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (isLoopbackHost(host)) return undefined;
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  if (settings.noProxy && noProxyMatches(settings.noProxy, host, port)) return undefined;
  return parseProxy(raw, url.protocol === "https:" ? "HTTPS_PROXY" : "HTTP_PROXY");
}

/** A proxy variable's value as a Proxy: `host:port` alone means `http://host:port`. */
export function parseProxy(raw: string, name: string): Proxy {
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
  } catch {
    throw new SettingError(`invalid ${name} "${raw}": not a URL`, { setting: name, value: raw });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new SettingError(`invalid ${name} "${raw}": h3 speaks to http:// and https:// proxies`, {
      setting: name,
      value: raw,
    });
  }
  const basicAuth = url.username || url.password
    ? { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) }
    : undefined;
  url.username = "";
  url.password = "";
  return { url, basicAuth };
}

/**
 * Whether a `NO_PROXY` list names `host` (with `port`): `*` matches all; an IP or CIDR range
 * matches addresses; `example.com` matches it and its subdomains, `.example.com` (or
 * `*.example.com`) only subdomains; an entry with `:port` matches only that port.
 */
export function noProxyMatches(list: string, host: string, port: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, "");
  for (let entry of list.split(",").map((e) => e.trim().toLowerCase()).filter(Boolean)) {
    if (entry === "*") return true;
    const cidr = /^([0-9a-f.:]+)\/(\d{1,3})$/.exec(entry);
    if (cidr) {
      if (inCidr(name, cidr[1], Number(cidr[2]))) return true;
      continue;
    }
    let entryPort: string | undefined;
    const withPort = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(entry);
    if (withPort) [entry, entryPort] = [withPort[1], withPort[2]];
    entry = entry.replace(/^\[|\]$/g, "");
    if (entryPort && entryPort !== port) continue;
    if (entry.startsWith("*.")) entry = entry.slice(1);
    if (entry.startsWith(".")) {
      if (name.endsWith(entry)) return true;
    } else if (name === entry || name.endsWith(`.${entry}`)) return true;
  }
  return false;
}

/** Whether the IP `address` lies in `network/bits` (both the same family); false for names. */
function inCidr(address: string, network: string, bits: number): boolean {
  const a = ipBytes(address);
  const n = ipBytes(network);
  if (!a || !n || a.length !== n.length || bits > a.length * 8) return false;
  for (let bit = 0; bit < bits; bit++) {
    const mask = 0x80 >> (bit % 8);
    if ((a[bit >> 3] & mask) !== (n[bit >> 3] & mask)) return false;
  }
  return true;
}

/** The bytes of an IPv4 or IPv6 address; undefined when `text` is not one. */
function ipBytes(text: string): number[] | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const bytes = v4.slice(1).map(Number);
    return bytes.every((b) => b <= 255) ? bytes : undefined;
  }
  if (!text.includes(":")) return undefined;
  try {
    // The URL parser normalizes IPv6 to its full form with `::` runs expanded on request.
    const normal = new URL(`http://[${text}]/`).hostname.slice(1, -1);
    const [head, tail] = normal.includes("::") ? normal.split("::") : [normal, undefined];
    const left = head ? head.split(":") : [];
    const right = tail ? tail.split(":") : [];
    const groups = tail === undefined
      ? left
      : [...left, ...Array(8 - left.length - right.length).fill("0"), ...right];
    if (groups.length !== 8) return undefined;
    return groups.flatMap((g) => {
      const value = parseInt(g, 16);
      return [value >> 8, value & 0xff];
    });
  } catch {
    return undefined;
  }
}
