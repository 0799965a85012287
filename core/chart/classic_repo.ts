/**
 * Reaching a classic chart repository (index.yaml + .tgz over HTTP(S)) as Helm does: basic-auth
 * credentials, a CA file, a client certificate, or certificate checks turned off, given directly
 * or found in Helm's repositories.yaml (`$HELM_REPOSITORY_CONFIG`, else `repositories.yaml` in
 * Helm's config dir) for the repository's URL or its `@name` / `alias:name`. Credentials go only
 * to the repository's own scheme, host and port (redirects are followed by hand, so a redirect to
 * another origin gets none), unless `passCredentialsAll` says otherwise, as in Helm.
 * @module
 */
import { ChartError } from "../errors.ts";
import { homeDir } from "../paths.ts";
import { networkError, openConnection, ReadTimeout } from "../transport/http.ts";
import { RequestDeadline, timedFetch } from "../transport/timed_fetch.ts";
import type { FetchLike } from "../transport/options.ts";
import { parseYaml } from "./chart_yaml.ts";
import { readTextIfExists } from "../write_file.ts";

/** How to reach a classic repository: the fields of a repositories.yaml entry. */
export interface ClassicRepoAccess {
  /** Basic-auth user name. */
  username?: string;
  /** Basic-auth password. */
  password?: string;
  /** Send the credentials to every host (chart URLs elsewhere too), as Helm's `--pass-credentials`. */
  passCredentialsAll?: boolean;
  /** A PEM CA certificate to trust. */
  caFile?: string;
  /** A client certificate (PEM), with `keyFile`. */
  certFile?: string;
  /** The client certificate's key (PEM). */
  keyFile?: string;
  /** Accept any server certificate. */
  insecureSkipTlsVerify?: boolean;
}

/** One repository of Helm's repositories.yaml. */
export interface HelmRepository extends ClassicRepoAccess {
  /** Its name (`helm repo add NAME URL`). */
  name: string;
  /** Its URL. */
  url: string;
}

/** Helm's repositories file: `$HELM_REPOSITORY_CONFIG`, else `repositories.yaml` in its config dir. */
export function helmRepositoryConfigPath(): string {
  const file = Deno.env.get("HELM_REPOSITORY_CONFIG");
  if (file) return file;
  const dir = Deno.env.get("HELM_CONFIG_HOME") ||
    `${Deno.env.get("XDG_CONFIG_HOME") || `${homeDir()}/.config`}/helm`;
  return `${dir}/repositories.yaml`;
}

/** The repositories Helm knows (none when the file does not exist). */
export async function readHelmRepositories(
  path: string = helmRepositoryConfigPath(),
): Promise<HelmRepository[]> {
  const text = await readTextIfExists(
    path,
    (error) => new ChartError(`cannot read ${path}: ${error.message}`),
  );
  if (text === undefined) return [];
  const doc = parseYaml(text, path) as { repositories?: unknown } | null;
  if (!Array.isArray(doc?.repositories)) return [];
  const text_ = (value: unknown) => typeof value === "string" && value !== "" ? value : undefined;
  return doc.repositories.flatMap((raw: Record<string, unknown> | null) => {
    const name = text_(raw?.name);
    const url = text_(raw?.url);
    if (!raw || !name || !url) return [];
    return [{
      name,
      url,
      username: text_(raw.username),
      password: text_(raw.password),
      passCredentialsAll: raw.pass_credentials_all === true,
      caFile: text_(raw.caFile),
      certFile: text_(raw.certFile),
      keyFile: text_(raw.keyFile),
      insecureSkipTlsVerify: raw.insecure_skip_tls_verify === true,
    }];
  });
}

/** A URL as Helm's urlutil.Equal compares them: an empty path is `/`, the path cleaned. */
function comparable(input: string): string | undefined {
  try {
    const url = new URL(input);
    const clean = url.pathname.replace(/\/{2,}/g, "/").replace(/(.)\/$/, "$1") || "/";
    return `${url.protocol}//${url.host}${clean}${url.search}`;
  } catch {
    return undefined;
  }
}

/**
 * The repository `repository` names: `@NAME` or `alias:NAME` by name, a URL by URL (as Helm's
 * urlutil.Equal compares them); undefined when Helm does not know it.
 */
export function findHelmRepository(
  repositories: HelmRepository[],
  repository: string,
): HelmRepository | undefined {
  const name = repository.startsWith("@")
    ? repository.slice(1)
    : repository.startsWith("alias:")
    ? repository.slice("alias:".length)
    : undefined;
  if (name !== undefined) return repositories.find((r) => r.name === name);
  const wanted = comparable(repository);
  return wanted === undefined ? undefined : repositories.find((r) => comparable(r.url) === wanted);
}

/** Whether `repository` names a repository of repositories.yaml (`@NAME`, `alias:NAME`). */
export function isRepositoryName(repository: string): boolean {
  return repository.startsWith("@") || repository.startsWith("alias:");
}

/** How long a repository server may stay silent (waiting for headers or the next chunk). */
export const httpTimeoutMs = 60_000;

/** How long one request may take, body included. */
const httpDeadlineMs = 10 * httpTimeoutMs;

/** Redirects followed for one request. */
const maxRedirects = 10;

/**
 * An HTTP client for one classic repository: its TLS settings, and its credentials for its own
 * origin only (or every one, with `passCredentialsAll`). Dispose it to close its connections.
 */
export class ClassicRepoClient implements Disposable {
  #fetch: FetchLike;
  #close: () => void;
  #home?: string;
  #access: ClassicRepoAccess;
  #authorization?: string;

  private constructor(
    connection: { fetch: FetchLike; close(): void },
    repositoryUrl: string | undefined,
    access: ClassicRepoAccess,
  ) {
    this.#fetch = connection.fetch;
    this.#close = connection.close;
    this.#home = repositoryUrl === undefined ? undefined : new URL(repositoryUrl).origin;
    this.#access = access;
    if (access.username && access.password) {
      const pair = new TextEncoder().encode(`${access.username}:${access.password}`);
      this.#authorization = `Basic ${btoa(String.fromCodePoint(...pair))}`;
    }
  }

  /** A client for the repository at `repositoryUrl` (its credentials' origin) with `access`. */
  static async open(
    repositoryUrl?: string,
    access: ClassicRepoAccess = {},
  ): Promise<ClassicRepoClient> {
    const connection = await openConnection({
      caFile: access.caFile,
      certFile: access.certFile,
      keyFile: access.keyFile,
      insecureSkipTlsVerify: access.insecureSkipTlsVerify,
    });
    return new ClassicRepoClient(connection, repositoryUrl, access);
  }

  /** GETs `url`; any answer but 2xx is a `ChartError` (`what`, when not empty, starts it). */
  async get(url: URL, what: string): Promise<Response> {
    return (await this.#get(url, what, false))!;
  }

  /** GETs `url` when the server has it: a 404 is undefined, any other failure a `ChartError`. */
  getIfThere(url: URL, what: string): Promise<Response | undefined> {
    return this.#get(url, what, true);
  }

  async #get(url: URL, what: string, optional: boolean): Promise<Response | undefined> {
    const prefix = what ? `${what}: ` : "";
    let current = url;
    for (let hop = 0;; hop++) {
      if (current.protocol !== "http:" && current.protocol !== "https:") {
        throw new ChartError(`${prefix}${current.protocol} URLs are not supported, only http(s)`);
      }
      if (current.username || current.password) {
        throw new ChartError(`${prefix}a URL with user info is refused (${current.host})`);
      }
      const headers = new Headers();
      if (
        this.#authorization && (this.#access.passCredentialsAll || current.origin === this.#home)
      ) {
        headers.set("authorization", this.#authorization);
      }
      let response: Response;
      try {
        response = await timedFetch(this.#fetch, current, { headers, redirect: "manual" }, {
          timeoutMs: httpTimeoutMs,
          deadlineMs: httpDeadlineMs,
          registry: current.host,
          what: "GET",
        });
      } catch (error) {
        if (error instanceof ReadTimeout || error instanceof RequestDeadline) throw error;
        throw new ChartError(`${prefix}${networkError(current.host, error).error.message}`, {
          cause: error,
        });
      }
      const location = response.headers.get("location");
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel();
        if (hop >= maxRedirects) {
          throw new ChartError(`${prefix}${url.href}: more than ${maxRedirects} redirects`);
        }
        current = new URL(location, current);
        continue;
      }
      if (optional && response.status === 404) {
        await response.body?.cancel();
        return undefined;
      }
      if (!response.ok) {
        await response.body?.cancel();
        const hint = response.status === 401 && !this.#authorization
          ? " (give the repository's credentials, or add it to Helm's repositories.yaml)"
          : "";
        throw new ChartError(`${prefix}${current.href} answered HTTP ${response.status}${hint}`);
      }
      return response;
    }
  }

  /** Closes the client's connections. */
  [Symbol.dispose](): void {
    this.#close();
  }
}
