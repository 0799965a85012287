/**
 * The registries one run of h3 talks to (a CLI command, or a library client): each host with the
 * settings in force for it (resolved once), one HTTP client per host, registries.conf's blocks
 * for every reference and its mirrors and rewrites for pulls, and the caller's own credentials
 * sent only to the hosts it names (never to mirrors).
 * @module
 */
import {
  type Config,
  loadConfig,
  type TransportFlags,
  type TransportSettings,
  transportSettings,
} from "./config.ts";
import { defaultAuthorizer } from "./credentials.ts";
import type { Reference } from "./ref.ts";
import { openPullSource, RegistryRouting } from "./routing.ts";
import { Registries, type Repository } from "./transport/repository.ts";

/** Opens registry repositories with h3's settings; dispose it to close every connection. */
export class RegistryHosts implements Disposable {
  #flags: TransportFlags;
  #debug?: (line: string) => void;
  #settings = new Map<string, Promise<TransportSettings>>();
  #ready = new Map<string, TransportSettings>();
  #registries: Registries;
  #routing?: Promise<RegistryRouting>;
  #config: () => Promise<Config>;
  /** Hosts named by the caller: the only ones `flags.credential` is sent to. */
  #named = new Set<string>();

  /**
   * Hosts reached with `flags` (and `H3_*`, config.yaml, certs.d); `debug` gets request lines,
   * `warn` hears of credential plugins that could not be loaded; `config` gives config.yaml as
   * its owner read it (default: read here, once).
   */
  constructor(
    flags: TransportFlags,
    { debug, warn, config }: {
      debug?: (line: string) => void;
      warn?: (message: string, problem?: unknown) => void;
      config?: () => Promise<Config>;
    } = {},
  ) {
    this.#flags = flags;
    this.#debug = debug;
    let loaded: Promise<Config> | undefined;
    this.#config = config ?? (() => loaded ??= loadConfig());
    const credential = flags.credential;
    const given = typeof credential === "function"
      ? credential
      : credential && (() => Promise.resolve(credential));
    const authorizer = defaultAuthorizer({
      debug,
      given: given && ((host) => this.#named.has(host) ? given() : Promise.resolve(undefined)),
      warn,
    });
    this.#registries = new Registries((host) => ({ ...this.#ready.get(host), debug, authorizer }));
  }

  /**
   * The repository `ref` names, reached with its host's settings; refused when blocked.
   * `owner` is disposed with the repository.
   */
  async open(ref: Reference, owner?: Disposable): Promise<Repository> {
    const routing = await this.#route();
    routing.check(ref);
    this.#named.add(ref.registry);
    return await this.#openAt(ref, routing.insecure(ref), owner);
  }

  /**
   * The repository to pull `ref` from: the first of its mirrors (registries.conf, h3's config)
   * that answers for `probe` (a tag or digest; none: the repository's tag list), else its
   * primary location (see `openPullSource`).
   */
  async openForPull(ref: Reference, probe?: string): Promise<Repository> {
    const routing = await this.#route();
    this.#named.add(ref.registry);
    const open = (at: Reference, insecure: boolean | undefined) => this.#openAt(at, insecure);
    return await openPullSource(routing, ref, probe, open, this.#debug);
  }

  #route(): Promise<RegistryRouting> {
    this.#routing ??= this.#config().then((config) => RegistryRouting.load(config));
    return this.#routing;
  }

  async #openAt(
    ref: Reference,
    insecure: boolean | undefined,
    owner?: Disposable,
  ): Promise<Repository> {
    const host = ref.registry;
    let settings = this.#settings.get(host);
    if (!settings) {
      settings = this.#config().then((config) =>
        transportSettings(host, this.#flags, { insecureSkipTlsVerify: insecure, config })
      );
      this.#settings.set(host, settings);
    }
    this.#ready.set(host, await settings);
    return this.#registries.repository(ref, owner);
  }

  /** Closes every registry connection. */
  [Symbol.dispose](): void {
    this.#registries[Symbol.dispose]();
  }
}
