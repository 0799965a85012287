/**
 * Where a reference is actually read from and written to: registries.conf's blocks, rewrites,
 * `insecure` and mirrors, plus the mirrors h3's own config names. Pulls try the mirrors in order,
 * then the primary location, and keep the first that has the reference (as containers/image);
 * pushes and every other write go to the reference as given, never to a mirror.
 * @module
 */
import type { Config } from "./config.ts";
import { errorMessage, H3Error } from "./errors.ts";
import { formatReference, type Reference } from "./ref.ts";
import {
  BlockedRegistryError,
  findRegistry,
  loadRegistriesConf,
  matchPrefix,
  type PullSource,
  pullSources,
  type RegistriesConf,
  type RegistryEntry,
} from "./registries_conf.ts";

/** What `describe` reports for a host. */
export interface RouteReport {
  /** Where the host's references are pulled from (prefix replaced by the entry's location). */
  location: string;
  /** Mirrors pulls try first, in order. */
  mirrors: string[];
  /** registries.conf refuses the host. */
  blocked: boolean;
  /** registries.conf skips certificate checks for it. */
  insecure: boolean;
  /** The registries.conf file whose entry matched; null when none did. */
  file: string | null;
}

/** `host/repository` of a reference. */
function nameOf(ref: Reference): string {
  return `${ref.registry}/${ref.repository}`;
}

/** The registries configuration and h3's mirrors, resolved once per command. */
export class RegistryRouting {
  /** registries.conf as read. */
  readonly conf: RegistriesConf;
  #mirrors: Record<string, string[]>;

  /** Routing by `conf`, with h3's `mirrors` (by lower-case host). */
  constructor(conf: RegistriesConf, mirrors: Record<string, string[]> = {}) {
    this.conf = conf;
    this.#mirrors = mirrors;
  }

  /** Reads registries.conf (see `core/registries_conf.ts`) and takes h3's mirrors from `config`. */
  static async load(config: Config): Promise<RegistryRouting> {
    return new RegistryRouting(await loadRegistriesConf(), config.mirrors ?? {});
  }

  /** The registries.conf entry for `name` (`host` or `host/repository`), if any. */
  entry(name: string): RegistryEntry | undefined {
    return findRegistry(this.conf, name);
  }

  /** Throws a `BlockedRegistryError` when registries.conf blocks `ref`. */
  check(ref: Reference): void {
    const entry = this.entry(nameOf(ref));
    if (entry?.blocked) throw new BlockedRegistryError(formatReference(ref), entry);
  }

  /** registries.conf's `insecure` for `ref` (undefined when no entry matches). */
  insecure(ref: Reference): boolean | undefined {
    return this.entry(nameOf(ref))?.insecure;
  }

  /** h3's own mirrors for a host. */
  mirrorsOf(host: string): string[] {
    return this.#mirrors[host.toLowerCase()] ?? [];
  }

  /**
   * What applies to a registry host, for `h3 env --registry`: its location after rewrites, the
   * mirrors pulls try first (h3's, then registries.conf's), whether it is blocked or insecure, and
   * the file of the registries.conf entry.
   */
  describe(host: string): RouteReport {
    const entry = this.entry(host);
    const at = (location: string) =>
      location && entry ? location + host.slice(matchPrefix(host, entry.prefix)) : host;
    return {
      location: entry ? at(entry.location) : host,
      mirrors: [...this.mirrorsOf(host), ...(entry?.mirrors ?? []).map((m) => at(m.location))],
      blocked: entry?.blocked ?? false,
      insecure: entry?.insecure ?? false,
      file: entry?.file ?? null,
    };
  }

  /** Where to pull `ref` from, in order: mirrors, then the (possibly rewritten) primary. */
  sources(ref: Reference): PullSource[] {
    return pullSources(
      this.entry(nameOf(ref)),
      nameOf(ref),
      ref.digest !== undefined,
      this.mirrorsOf(ref.registry),
    );
  }
}

/** `host/repository` as a Reference with `ref`'s tag and digest. */
function atSource(source: PullSource, ref: Reference): Reference {
  const slash = source.name.indexOf("/");
  return {
    registry: source.name.slice(0, slash),
    repository: source.name.slice(slash + 1),
    tag: ref.tag,
    digest: ref.digest,
  };
}

/**
 * The first of `sources` that answers `probe` (a mirror that fails or lacks the reference is
 * passed over, as is a blocked one); `open` reaches a source. When every source fails, the
 * primary's error is thrown, with the mirrors' failures added to its message.
 */
export async function firstAnswering<T>(
  sources: PullSource[],
  open: (source: PullSource) => Promise<T>,
  probe: (opened: T) => Promise<unknown>,
  debug?: (line: string) => void,
): Promise<{ opened: T; source: PullSource }> {
  const failures: string[] = [];
  for (const [i, source] of sources.entries()) {
    const last = i === sources.length - 1;
    try {
      if (sources.length > 1) {
        debug?.(`trying ${source.mirror ? "mirror" : "primary"} ${source.name}`);
      }
      const opened = await open(source);
      await probe(opened);
      return { opened, source };
    } catch (error) {
      if (last) {
        if (failures.length && error instanceof H3Error) {
          error.message += ` (mirrors also failed: ${failures.join("; ")})`;
        }
        throw error;
      }
      const line = `${source.name}: ${errorMessage(error)}`;
      debug?.(`  ${source.mirror ? "mirror" : "source"} failed: ${line}`);
      failures.push(line);
    }
  }
  throw new H3Error("no source to pull from"); // sources always ends with the primary
}

/** What probing a pull source needs of a repository. */
export interface Probeable {
  resolve(reference: string): Promise<unknown>;
  tags(): AsyncIterable<string>;
}

/**
 * Opens the repository to pull `ref` from: the first of `routing`'s sources for it that answers
 * for `probe` (a tag or digest; none: the repository's tag list), each reached with `open`
 * (given registries.conf's `insecure` for it); without mirrors or rewrites, `ref` itself, not
 * probed. A blocked reference (or mirror) is refused; a source passed over is disposed.
 */
export async function openPullSource<T extends Probeable>(
  routing: RegistryRouting,
  ref: Reference,
  probe: string | undefined,
  open: (at: Reference, insecure: boolean | undefined) => Promise<T>,
  debug?: (line: string) => void,
): Promise<T> {
  routing.check(ref);
  const sources = routing.sources(ref);
  const only = sources.length === 1 && !sources[0].mirror &&
    sources[0].name === nameOf(ref);
  if (only) return await open(ref, routing.insecure(ref));
  const { opened } = await firstAnswering(
    sources,
    async (source) => {
      const at = atSource(source, ref);
      routing.check(at);
      return await open(at, source.insecure || routing.insecure(at));
    },
    async (repository) => {
      try {
        if (probe) return await repository.resolve(probe);
        for await (const _ of repository.tags()) break;
      } catch (error) {
        (repository as Partial<Disposable>)[Symbol.dispose]?.();
        throw error;
      }
    },
    debug,
  );
  return opened;
}
