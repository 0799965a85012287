/**
 * The HTTP connection to one registry: Deno's fetch with a keep-alive pool, a custom CA and a
 * client certificate when given, or `node:https` when certificate checks are turned off; through
 * the proxy `HTTPS_PROXY`/`HTTP_PROXY` name unless `NO_PROXY` or loopback says not; and the
 * translation of network failures into one clear line.
 * @module
 */
import {
  firstLine,
  option,
  type Phrase,
  phrase,
  RegistryError,
  type Remedy,
  SettingError,
} from "../errors.ts";
import { withRegistry } from "./_errors.ts";
import type { FetchLike, TransportOptions } from "./options.ts";
import { proxyEnvNames, proxyFor, proxyFromEnv } from "./proxy.ts";

/** A fetch with the TLS settings of `TransportOptions`, and how to free its connections. */
export interface Connection {
  fetch: FetchLike;
  close(): void;
}

/** Reads a PEM file given as `setting` (an option, or a CA file found elsewhere). */
async function readPem(file: string, setting: string, what: string | Phrase): Promise<string> {
  try {
    return await Deno.readTextFile(file);
  } catch (error) {
    throw new SettingError(
      phrase`cannot read ${what} ${file}: ${(error as Error).message}`,
      { setting, value: file },
    );
  }
}

/** Opens a connection pool with the TLS and proxy settings in `options`. */
export async function openConnection(options: TransportOptions): Promise<Connection> {
  if (options.certFile && !options.keyFile || options.keyFile && !options.certFile) {
    throw new SettingError(
      phrase`a client certificate needs both ${option("certFile")} and ${option("keyFile")}`,
      { setting: options.certFile ? "keyFile" : "certFile" },
    );
  }
  const proxies = options.proxy ?? proxyFromEnv();
  if (options.insecureSkipTlsVerify) {
    // Certificates are HTTPS's: a plain-HTTP request (--plain-http, a loopback registry) goes
    // the usual way.
    const { insecureFetch } = await import("./_insecure_fetch.ts");
    const insecure = await insecureFetch(proxies);
    const plain = await openConnection({ ...options, insecureSkipTlsVerify: false });
    return {
      fetch: (input, init) =>
        new URL(String(input)).protocol === "http:"
          ? plain.fetch(input, init)
          : insecure.fetch(input, init),
      close: () => {
        insecure.close();
        plain.close();
      },
    };
  }
  const tls: Deno.CreateHttpClientOptions & Partial<Deno.TlsCertifiedKeyPem> = {};
  const caFiles = [...(options.caFile ? [options.caFile] : []), ...(options.caFiles ?? [])];
  if (caFiles.length) {
    tls.caCerts = await Promise.all(
      caFiles.map((file) =>
        file === options.caFile
          ? readPem(file, "caFile", phrase`${option("caFile")}`)
          : readPem(file, "caFiles", "CA file")
      ),
    );
  }
  if (options.certFile && options.keyFile) {
    tls.cert = await readPem(options.certFile, "certFile", phrase`${option("certFile")}`);
    tls.key = await readPem(options.keyFile, "keyFile", phrase`${option("keyFile")}`);
  }
  // One client per way out (direct, or each proxy), made on first use: Deno's fetch would read
  // the proxy variables itself, with other rules (it proxies loopback hosts), so h3 decides.
  const clients = new Map<string, Deno.HttpClient>();
  const clientFor = (url: URL): Deno.HttpClient => {
    const proxy = proxyFor(url, proxies);
    const key = proxy?.url.href ?? "direct";
    let client = clients.get(key);
    if (!client) {
      client = createClient(
        proxy ? { ...tls, proxy: { url: proxy.url.href, basicAuth: proxy.basicAuth } } : tls,
      );
      clients.set(key, client);
    }
    return client;
  };
  return {
    fetch: (input, init) =>
      fetch(input, {
        ...init,
        client: clientFor(input instanceof URL ? input : new URL(String(input))),
      }),
    close: () => {
      for (const client of clients.values()) client.close();
      clients.clear();
    },
  };
}

/**
 * A Deno HTTP client for `options`; without a proxy in them, a direct one: Deno reads the proxy
 * variables when a client is made, so they are hidden while it is (synchronously, so nothing
 * else runs meanwhile).
 */
function createClient(options: Deno.CreateHttpClientOptions): Deno.HttpClient {
  const hidden = options.proxy ? [] : allProxyNames.filter((name) => Deno.env.get(name));
  const saved = hidden.map((name) => [name, Deno.env.get(name)!] as const);
  try {
    for (const name of hidden) Deno.env.delete(name);
    return Deno.createHttpClient(options);
  } catch (error) {
    throw new SettingError(`invalid TLS files: ${(error as Error).message}`, { setting: "tls" });
  } finally {
    for (const [name, value] of saved) Deno.env.set(name, value);
  }
}

/** Every variable Deno's fetch takes a proxy from. */
const allProxyNames = [
  ...proxyEnvNames.httpProxy,
  ...proxyEnvNames.httpsProxy,
  "ALL_PROXY",
  "all_proxy",
];

const certificateProblems: Record<string, string> = {
  UnknownIssuer: "certificate signed by an unknown authority",
  NotValidForName: "certificate is not valid for this host name",
  Expired: "certificate has expired",
  NotValidYet: "certificate is not valid yet",
  BadSignature: "certificate has a bad signature",
  Revoked: "certificate was revoked",
};

function causes(error: unknown): string {
  const parts: string[] = [];
  for (let e = error; e instanceof Error && parts.length < 5; e = e.cause) {
    parts.push(e.message, (e as { code?: string }).code ?? "");
  }
  return parts.join(" ");
}

/**
 * Whether body bytes may follow a response's headers: not for a status that carries none, nor
 * with `Content-Length: 0` (the connection's framing ends such a body at once; most answers of a
 * push are these). Only a body that may still send is watched by a timer.
 */
function bodyMayFollow(response: Response): boolean {
  return ![204, 205, 304].includes(response.status) &&
    response.headers.get("content-length") !== "0";
}

/** A registry that went silent for longer than the idle timeout; always worth another try. */
export class ReadTimeout extends RegistryError {
  override name = "ReadTimeout";
  /** What happened, without the host: `timed out after 60s waiting for data`. */
  readonly detail: string;
  /** The timeout for a request to `registry` doing `what`, after `ms` of silence. */
  constructor(registry: string, what: string, ms: number) {
    const detail = `timed out after ${ms / 1000}s waiting for data`;
    super(`${withRegistry(registry, what)}: ${detail}`, 0, "TIMEOUT");
    this.detail = detail;
  }
}

/**
 * The body of `response`, failing with `timeout()` (after calling `abort` with it) when a read
 * waits longer than `ms` for the next chunk. Time the reader spends elsewhere is not counted.
 * One timer watches the whole body, re-armed only when it fires: a timer per chunk (thousands in
 * a large blob) cost a tenth of the download's time. With `deadline`, the body also fails with
 * `deadline.error()` once `performance.now()` passes `deadline.at`, however steadily it arrives.
 */
export function withIdleTimeout(
  response: Response,
  ms: number,
  timeout: () => Error,
  abort: (reason: Error) => void,
  deadline?: { at: number; error: () => Error },
): Response {
  if (!response.body || !bodyMayFollow(response)) return response;
  const reader = response.body.getReader();
  let waitingSince: number | undefined; // set while a read is waiting for the registry
  let timer: ReturnType<typeof setTimeout> | undefined;
  let expired: Error | undefined;
  const watch = (delay: number) => {
    timer = setTimeout(() => {
      timer = undefined;
      if (waitingSince === undefined) return; // re-armed by the next read
      const now = performance.now();
      const waited = now - waitingSince;
      const late = deadline && now >= deadline.at;
      if (waited < ms && !late) return watch(Math.min(ms - waited, remaining(now)));
      expired = late ? deadline.error() : timeout();
      abort(expired);
      reader.cancel(expired).catch(() => {});
    }, delay);
    Deno.unrefTimer(timer); // a body left unread must not keep the process alive
  };
  const remaining = (now: number) => deadline ? Math.max(deadline.at - now, 0) : ms;
  const stop = () => {
    clearTimeout(timer);
    timer = undefined;
  };
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      waitingSince = performance.now();
      if (timer === undefined) watch(Math.min(ms, remaining(waitingSince)));
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (error) {
        stop();
        throw expired ?? error;
      } finally {
        waitingSince = undefined;
      }
      if (expired) throw expired;
      if (!result.done && deadline && performance.now() >= deadline.at) {
        stop();
        expired = deadline.error();
        abort(expired);
        reader.cancel(expired).catch(() => {});
        throw expired;
      }
      if (result.done) {
        stop();
        controller.close();
      } else controller.enqueue(result.value);
    },
    cancel(reason) {
      stop();
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

/** A network failure as a user-facing error, and whether trying again may help. */
export interface NetworkFailure {
  error: RegistryError;
  retryable: boolean;
}

/**
 * One line for a failed request to `registry`: a TLS problem names the host and suggests
 * `--ca-file`; other failures say what the network said. Not retryable when trying again cannot
 * help (TLS, refused connection, unknown host, a port fetch refuses).
 */
export function networkError(registry: string, error: unknown): NetworkFailure {
  if (error instanceof ReadTimeout) return { error, retryable: true };
  const text = causes(error);
  const fail = (message: string, permanent: boolean, remedy?: Remedy): NetworkFailure => ({
    error: new RegistryError(message, 0, undefined, { cause: error, remedy }),
    retryable: !permanent,
  });
  const certificate = /invalid peer certificate: (\w+)|(UNABLE_TO_VERIFY|SELF_SIGNED|CERT_\w+)/
    .exec(text);
  if (certificate) {
    const problem = certificateProblems[certificate[1]] ?? certificate[1] ?? certificate[2];
    return fail(`TLS error talking to ${registry}: ${problem}`, true, {
      kind: "caFile",
      registry,
    });
  }
  if (
    /corrupt message|InvalidContentType|wrong version number|packet length too long/i.test(text)
  ) {
    return fail(`TLS error talking to ${registry}: it does not speak HTTPS on this port`, true, {
      kind: "plainHttp",
      registry,
    });
  }
  // The Fetch standard's blocked ports (5060, 6000, 6665-6669, 10080, ...): Deno's fetch refuses
  // them before connecting, every time.
  const blocked = /Requests to port (\d+) are blocked/.exec(text);
  if (blocked) {
    return fail(
      `cannot connect to ${registry}: Deno's fetch refuses port ${
        blocked[1]
      } (a port the Fetch standard blocks); serve the registry on another port`,
      true,
    );
  }
  if (/Connection refused|ECONNREFUSED/i.test(text)) {
    return fail(`cannot connect to ${registry}: connection refused`, true);
  }
  if (/dns error|failed to lookup|ENOTFOUND|Name or service not known/i.test(text)) {
    return fail(`cannot connect to ${registry}: unknown host`, true);
  }
  const first = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return fail(`connection to ${registry} failed: ${firstLine(first)}`, false);
}
