/**
 * Chart dependencies as `helm dependency` handles them: the charts a chart declares (Chart.yaml
 * v2, or requirements.yaml for v1) resolved against `oci://` registries (tag lists; SemVer ranges
 * or a `VERSION@sha256:...` pin) and classic `http(s)://` repositories (their index.yaml), or
 * taken from `file://` directories; downloaded into `charts/`; and locked in Chart.lock
 * (requirements.lock for v1) with Helm's digest of the declared and the locked lists, so `build`
 * can tell when the lock is out of date.
 * @module
 */
import semver from "semver";
import { stringify } from "yaml";
import { ChartError, operation, phrase } from "../errors.ts";
import { parseReference, type Reference, tagToVersion, versionToTag } from "../ref.ts";
import { downloadArchive, fetchIndex, indexAddress, type IndexEntry } from "./repo_index.ts";
import {
  ClassicRepoClient,
  findHelmRepository,
  type HelmRepository,
  isRepositoryName,
  readHelmRepositories,
} from "./classic_repo.ts";
import { digestOf } from "../oci/descriptor.ts";
import type { Target } from "../target.ts";
import { parseYaml } from "./chart_yaml.ts";
import { downloadChart } from "./download.ts";
import { loadChartDir } from "./load.ts";
import type { ChartMetadata, Dependency } from "./metadata.ts";
import { packChart } from "./package.ts";
import { archiveMeta, chartsContent } from "./charts_dir.ts";
import { selectTag, versionRange } from "./versions.ts";
import { moveIntoPlace, readTextIfExists, replaceFile } from "../write_file.ts";

/** One entry of a lock file. */
export interface LockedDependency {
  /** The chart's name. */
  name: string;
  /** The repository, as Chart.yaml gives it. */
  repository: string;
  /** The version chosen (with `@sha256:...` when Chart.yaml pinned a digest). */
  version: string;
}

/** Chart.lock (or requirements.lock). */
export interface ChartLock {
  /** The versions chosen. */
  dependencies: LockedDependency[];
  /** Helm's digest of the declared and the locked dependencies. */
  digest: string;
  /** When the lock was written (RFC 3339). */
  generated: string;
}

/** How dependencies are resolved. */
export interface DependencyOptions {
  /** Helm's repositories file (default `$HELM_REPOSITORY_CONFIG`, else Helm's config dir). */
  repositoryConfig?: string;
}

/** Opens the registry repository a dependency lives in. */
export type DependencyOpener = (ref: Reference) => Promise<Target>;

/** What a dependency command did. */
export interface DependencyResult {
  /** The lock in force afterwards. */
  lock: ChartLock;
  /** Whether the lock file was (re)written. */
  lockWritten: boolean;
  /** The lock file's path. */
  lockFile: string;
  /** Archives written into charts/. */
  downloaded: string[];
}

/** The lock file of a chart: requirements.lock for apiVersion v1, Chart.lock otherwise. */
export function lockFileName(meta: ChartMetadata): string {
  return meta.apiVersion === "v1" ? "requirements.lock" : "Chart.lock";
}

/** Go's encoding/json escapes of characters JSON.stringify leaves as they are. */
function goJson(value: unknown): string {
  return JSON.stringify(value)
    .replaceAll("<", "\\u003c").replaceAll(">", "\\u003e").replaceAll("&", "\\u0026")
    .replaceAll("\u2028", "\\u2028").replaceAll("\u2029", "\\u2029");
}

/** A dependency as Go marshals Helm's `chart.Dependency`: field order, empty fields left out. */
function goDependency(d: Partial<Dependency>): Record<string, unknown> {
  const out: Record<string, unknown> = { name: d.name ?? "" };
  if (d.version) out.version = d.version;
  out.repository = d.repository ?? "";
  if (d.condition) out.condition = d.condition;
  if (d.tags?.length) out.tags = d.tags;
  if (d.enabled) out.enabled = d.enabled;
  if (d["import-values"]?.length) out["import-values"] = d["import-values"];
  if (d.alias) out.alias = d.alias;
  return out;
}

/** Helm's HashReq: sha256 of the JSON of [declared, locked]. */
export async function lockDigest(
  declared: Dependency[],
  locked: LockedDependency[],
): Promise<string> {
  const json = goJson([declared.map(goDependency), locked.map(goDependency)]);
  return await digestOf(new TextEncoder().encode(json));
}

/** Reads the chart's lock file, or undefined when there is none. */
export async function readLock(dir: string, meta: ChartMetadata): Promise<ChartLock | undefined> {
  const path = `${dir}/${lockFileName(meta)}`;
  const text = await readTextIfExists(path);
  if (text === undefined) return undefined;
  const value = parseYaml(text, path) as Partial<ChartLock> | null;
  const deps = value?.dependencies;
  if (!Array.isArray(deps) || typeof value?.digest !== "string") {
    throw new ChartError(`${path}: not a lock file (no dependencies list or digest)`);
  }
  return {
    dependencies: deps.map((d) => ({
      name: String(d?.name ?? ""),
      repository: String(d?.repository ?? ""),
      version: String(d?.version ?? ""),
    })),
    digest: value.digest,
    generated: String(value.generated ?? ""),
  };
}

/** Where one dependency's archive comes from. */
type Source =
  | { kind: "oci"; ref: Reference; tag: string; digest?: string }
  | { kind: "http"; entry: IndexEntry; client: ClassicRepoClient }
  | { kind: "dir"; path: string }
  | { kind: "subchart" };

/** `oci://host/path` + the chart's name, as Helm forms the chart's reference. */
function ociReference(d: Dependency): Reference {
  return parseReference(`${d.repository.replace(/\/+$/, "")}/${d.name}`);
}

function localPath(dir: string, repository: string): string {
  const path = repository.slice("file://".length);
  return path.startsWith("/") ? path : `${dir}/${path}`;
}

/** The highest version of `entries` the constraint admits (pre-releases as the range says). */
function bestEntry(entries: IndexEntry[], constraint: string): IndexEntry | undefined {
  const range = versionRange(constraint || "*");
  return entries
    .filter((e) => semver.satisfies(e.version, range))
    .sort((a, b) => semver.rcompare(a.version, b.version))[0];
}

/**
 * What resolving a chart's dependencies shares: the chart's directory, the registry opener, the
 * repositories Helm knows (repositories.yaml), and one client and one index per classic repository.
 */
class Resolution implements Disposable {
  readonly dir: string;
  readonly open: DependencyOpener;
  readonly known: HelmRepository[];
  #clients = new Map<string, Promise<ClassicRepoClient>>();
  #indexes = new Map<string, Promise<IndexEntry[]>>();

  constructor(dir: string, open: DependencyOpener, known: HelmRepository[]) {
    this.dir = dir;
    this.open = open;
    this.known = known;
  }

  /**
   * The dependencies as Helm resolves them before locking: a repository written `@NAME` or
   * `alias:NAME` replaced by that repository's URL (an unknown name is an error, as in Helm).
   */
  named(declared: Dependency[]): Dependency[] {
    const missing = declared.filter((d) =>
      isRepositoryName(d.repository) && !findHelmRepository(this.known, d.repository)
    ).map((d) => d.repository);
    if (missing.length) {
      throw new ChartError(
        `no repository definition for ${missing.join(", ")} in Helm's repositories.yaml; ` +
          `add them with "helm repo add NAME URL" (or write the URL)`,
      );
    }
    return declared.map((d) =>
      isRepositoryName(d.repository)
        ? { ...d, repository: findHelmRepository(this.known, d.repository)!.url }
        : d
    );
  }

  /** The client for the classic repository at `url`, with what repositories.yaml keeps for it. */
  client(url: string): Promise<ClassicRepoClient> {
    let client = this.#clients.get(url);
    if (!client) {
      client = ClassicRepoClient.open(url, findHelmRepository(this.known, url) ?? {});
      this.#clients.set(url, client);
    }
    return client;
  }

  /** The entries of the classic repository at `url`'s index, fetched once. */
  index(url: string): Promise<IndexEntry[]> {
    let index = this.#indexes.get(url);
    if (!index) {
      index = this.client(url).then((c) => fetchIndex(indexAddress(url), c)).then((i) => i.entries);
      this.#indexes.set(url, index);
    }
    return index;
  }

  [Symbol.dispose](): void {
    for (const client of this.#clients.values()) {
      client.then((c) => c[Symbol.dispose](), () => {});
    }
  }
}

/** Opens a resolution for the chart in `dir`, with the repositories Helm knows. */
async function resolution(
  dir: string,
  open: DependencyOpener,
  options: DependencyOptions,
): Promise<Resolution> {
  return new Resolution(dir, open, await readHelmRepositories(options.repositoryConfig));
}

/**
 * Resolves one dependency (its repository named already, see `Resolution.named`): to the version
 * its constraint admits (`exact`: the locked version), and where its archive comes from.
 */
async function resolveOne(
  context: Resolution,
  d: Dependency,
  exact?: string,
): Promise<{ locked: LockedDependency; source: Source }> {
  const { dir, open } = context;
  const wanted = exact ?? d.version ?? "";
  const lock = (version: string) => ({ name: d.name, repository: d.repository, version });
  if (d.repository === "") {
    return { locked: lock(d.version ?? ""), source: { kind: "subchart" } };
  }
  if (d.repository.startsWith("file://")) {
    const path = localPath(dir, d.repository);
    const { meta } = await loadChartDir(path);
    return { locked: lock(meta.version), source: { kind: "dir", path } };
  }
  if (d.repository.startsWith("oci://")) {
    const ref = ociReference(d);
    const at = wanted.indexOf("@");
    const digest = at >= 0 ? wanted.slice(at + 1) : undefined;
    const constraint = at >= 0 ? wanted.slice(0, at) : wanted;
    if (digest && !/^sha256:[a-f0-9]{64}$/.test(digest)) {
      throw new ChartError(`dependency "${d.name}": invalid digest pin "${digest}"`);
    }
    const target = await open(ref);
    const tags = await Array.fromAsync(target.tags());
    const tag = exact && !digest
      ? tags.find((t) => t === versionToTag(exact))
      : selectTag(tags, { version: constraint || undefined });
    if (!tag) {
      throw new ChartError(
        `dependency "${d.name}": no version in ${d.repository}/${d.name} matches "${wanted}"`,
      );
    }
    const version = tagToVersion(tag) + (digest ? `@${digest}` : "");
    return { locked: lock(version), source: { kind: "oci", ref, tag, digest } };
  }
  if (/^https?:\/\//.test(d.repository)) {
    const entries = (await context.index(d.repository)).filter((e) => e.name === d.name);
    if (entries.length === 0) {
      throw new ChartError(`dependency "${d.name}": ${d.repository} has no chart "${d.name}"`);
    }
    const entry = exact ? entries.find((e) => e.version === exact) : bestEntry(entries, wanted);
    if (!entry) {
      throw new ChartError(
        `dependency "${d.name}": no version in ${d.repository} matches "${wanted}"`,
      );
    }
    const client = await context.client(d.repository);
    return { locked: lock(entry.version), source: { kind: "http", entry, client } };
  }
  throw new ChartError(
    `dependency "${d.name}": repository "${d.repository}" is not oci://, http(s):// or file://`,
  );
}

/** Writes each archive into `charts/`: downloaded into a temp folder, then moved into place. */
async function fetchAll(
  dir: string,
  resolved: { locked: LockedDependency; source: Source }[],
  open: DependencyOpener,
): Promise<string[]> {
  const charts = `${dir}/charts`;
  await Deno.mkdir(charts, { recursive: true });
  const tmp = await Deno.makeTempDir({ dir: charts, prefix: ".h3-deps-" });
  try {
    const written: string[] = [];
    for (const { locked, source } of resolved) {
      const file = `${locked.name}-${locked.version.split("@")[0]}.tgz`;
      if (source.kind === "subchart") continue;
      // One chart under two aliases is one archive (Helm: "Already downloaded").
      if (written.includes(file)) continue;
      if (source.kind === "oci") {
        const target = await open(source.ref);
        const result = await downloadChart(target, source.digest ?? source.tag, {
          destination: tmp,
          expectDigest: source.digest,
        });
        written.push(result.path.slice(tmp.length + 1));
        continue;
      }
      if (source.kind === "http") {
        await downloadArchive(
          new URL(source.entry.urls[0]),
          `${tmp}/${file}`,
          source.entry.digest,
          `dependency ${locked.name} ${locked.version}`,
          source.client,
        );
      } else {
        const packed = packChart(await loadChartDir(source.path));
        await Deno.writeFile(`${tmp}/${file}`, packed);
      }
      written.push(file);
    }
    // Every archive arrived: old archives of these charts go, the new ones take their place.
    const names = new Set(resolved.map((r) => r.locked.name));
    for await (const entry of Deno.readDir(charts)) {
      if (!entry.isFile || !entry.name.endsWith(".tgz")) continue;
      const meta = await archiveMeta(`${charts}/${entry.name}`).catch(() => undefined);
      if (meta && names.has(meta.name)) await Deno.remove(`${charts}/${entry.name}`);
    }
    for (const file of written) await moveIntoPlace(`${tmp}/${file}`, `${charts}/${file}`);
    return written;
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

async function writeLock(path: string, lock: ChartLock): Promise<void> {
  const text = stringify(
    { dependencies: lock.dependencies, digest: lock.digest, generated: lock.generated },
    { sortMapEntries: true, indentSeq: false },
  );
  await replaceFile(path, text);
}

/** RFC 3339 with nanoseconds, as Go prints a time. */
function goTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, ".$1000000Z");
}

/**
 * `dependency update`: resolves every declared dependency to the newest version its constraint
 * admits, downloads them into `charts/` and writes the lock file (only when it changed).
 */
export async function updateDependencies(
  dir: string,
  open: DependencyOpener,
  options: DependencyOptions = {},
): Promise<DependencyResult> {
  const { meta } = await loadChartDir(dir);
  using context = await resolution(dir, open, options);
  const declared = context.named(meta.dependencies ?? []);
  const resolved = [];
  for (const d of declared) resolved.push(await resolveOne(context, d));
  const locked = resolved.map((r) => r.locked);
  const digest = await lockDigest(declared, locked);
  const downloaded = await fetchAll(dir, resolved, open);
  const lockFile = `${dir}/${lockFileName(meta)}`;
  const old = await readLock(dir, meta).catch(() => undefined);
  if (old?.digest === digest) return { lock: old, lockWritten: false, lockFile, downloaded };
  const lock = { dependencies: locked, digest, generated: goTime(new Date()) };
  await writeLock(lockFile, lock);
  return { lock, lockWritten: true, lockFile, downloaded };
}

/**
 * `dependency build`: downloads the versions the lock file names into `charts/`; without a lock
 * file, `update`. A lock that no longer matches the declared dependencies is refused.
 */
export async function buildDependencies(
  dir: string,
  open: DependencyOpener,
  options: DependencyOptions = {},
): Promise<DependencyResult> {
  const { meta } = await loadChartDir(dir);
  const lock = await readLock(dir, meta);
  if (!lock) return await updateDependencies(dir, open, options);
  using context = await resolution(dir, open, options);
  const declared = context.named(meta.dependencies ?? []);
  const name = lockFileName(meta);
  if (await lockDigest(declared, lock.dependencies) !== lock.digest) {
    const file = meta.apiVersion === "v1" ? "requirements.yaml" : "Chart.yaml";
    throw new ChartError(
      phrase`the lock file (${name}) is out of sync with the dependencies file (${file}); run ${
        operation("updateDependencies")
      }`,
    );
  }
  const resolved = [];
  for (const [i, d] of declared.entries()) {
    resolved.push(await resolveOne(context, d, lock.dependencies[i].version));
  }
  const downloaded = await fetchAll(dir, resolved, open);
  return { lock, lockWritten: false, lockFile: `${dir}/${name}`, downloaded };
}

/** One declared dependency and what `charts/` holds for it. */
export interface DependencyStatus {
  /** The chart's name. */
  name: string;
  /** The version or range declared. */
  version: string;
  /** The repository declared. */
  repository: string;
  /** The name the parent chart gives it (`alias`), when it has one. */
  alias?: string;
  /** The values path that switches it on or off (`condition`), when it has one. */
  condition?: string;
  /** The tags that switch it on or off, when it has any. */
  tags?: string[];
  /** `ok`, `wrong version`, `unpacked` (a directory) or `missing`. */
  status: "ok" | "wrong version" | "unpacked" | "missing";
}

/** `dependency list`: each declared dependency and whether `charts/` holds it. */
export async function listDependencies(dir: string): Promise<DependencyStatus[]> {
  const { meta } = await loadChartDir(dir);
  const { packed, unpacked } = await chartsContent(dir);
  return (meta.dependencies ?? []).map((d): DependencyStatus => {
    const version = d.version ?? "";
    const base = {
      name: d.name,
      version,
      repository: d.repository,
      ...(d.alias ? { alias: d.alias } : {}),
      ...(d.condition ? { condition: d.condition } : {}),
      ...(d.tags?.length ? { tags: d.tags } : {}),
    };
    const archives = packed.filter((p) => p.name === d.name);
    if (archives.length) {
      const range = version.split("@")[0] || "*";
      const fits = archives.some((a) =>
        semver.valid(a.version) && semver.validRange(range) !== null &&
        semver.satisfies(a.version, range.replaceAll(",", " "), { includePrerelease: true })
      );
      return { ...base, status: fits ? "ok" : "wrong version" };
    }
    return { ...base, status: unpacked.has(d.name) ? "unpacked" : "missing" };
  });
}
