/**
 * `repo import`: a classic chart repository (index.yaml + .tgz over HTTP) moved into an OCI
 * registry, each version pushed to `NAMESPACE/<name>:<version>` in Helm's layout (the .tgz byte for
 * byte as the content layer, its `.prov` as the provenance layer). Each .tgz is downloaded to a
 * temp file while hashed, checked against the index's digest and as a chart (its name and version
 * must be the entry's), then copied. Versions whose tag exists already are skipped, so a re-run
 * pushes nothing twice and an interrupted import resumes; versions run `concurrency` at a time;
 * one that fails is recorded and the others go on.
 * @module
 */
import pLimit from "p-limit";
import semver from "semver";
import { archiveSource, readChartArchive } from "../chart/archive.ts";
import { versionRange } from "../chart/versions.ts";
import {
  type ClassicRepoAccess,
  ClassicRepoClient,
  findHelmRepository,
  isRepositoryName,
  readHelmRepositories,
} from "../chart/classic_repo.ts";
import { ChartError, SignatureError } from "../errors.ts";
import { checkProvenance } from "../sign/provenance.ts";
import { type NamedKeyring, readKeyrings } from "../sign/trust.ts";
import { type Reference, repositoryName, versionToTag } from "../ref.ts";
import { writeStream } from "../stream_file.ts";
import { isMissing, type Target } from "../target.ts";
import { transfer } from "../chart/transfer.ts";
import {
  capped,
  downloadArchive,
  fetchIndex,
  indexAddress,
  type IndexEntry,
} from "../chart/repo_index.ts";

/** What to import and how. */
export interface ImportOptions {
  /** Only this chart. */
  chart?: string;
  /** Only versions in this SemVer range (Helm's comma-separated constraints too). */
  version?: string;
  /** Pre-release versions count too (always, when `version` is not given). */
  devel?: boolean;
  /** Versions imported at once (default 4). */
  concurrency?: number;
  /** Called as each version is done. */
  onResult?: (result: ImportResult) => void;
  /**
   * How to reach the repository (credentials, TLS). Without it, the settings Helm's
   * repositories.yaml keeps for the repository's URL are used, when it has them.
   */
  access?: ClassicRepoAccess;
  /** Helm's repositories file (default `$HELM_REPOSITORY_CONFIG`, else Helm's config dir). */
  repositoryConfig?: string;
  /**
   * A PGP keyring (`gpg --export`): each version's `.prov` must be signed by one of its keys and
   * vouch for the .tgz, or the version fails (and is not pushed).
   */
  keyring?: string;
}

/** What happened to one chart version. */
export type ImportResult =
  | {
    status: "pushed";
    entry: IndexEntry;
    ref: string;
    digest: string;
    provenance: boolean;
    /** With a keyring: who signed the verified provenance. */
    signedBy?: string;
  }
  | { status: "exists"; entry: IndexEntry; ref: string }
  | { status: "failed"; name: string; version: string; error: unknown };

/** Totals of an import. */
export interface ImportSummary {
  /** Each version's outcome, in index order (name, then newest first). */
  results: ImportResult[];
  /** Versions pushed. */
  pushed: number;
  /** Versions the registry had already. */
  existing: number;
  /** Versions that failed (or that the index lists wrongly). */
  failed: number;
}

/** Opens the registry repository `NAMESPACE/<chart name>` for pushing. */
export type RepositoryOpener = (ref: Reference) => Promise<Target>;

/** The entries `options` select, by name then newest version first. */
function select(entries: IndexEntry[], options: ImportOptions): IndexEntry[] {
  const range = options.version ? versionRange(options.version) : undefined;
  return entries
    .filter((e) => !options.chart || e.name === options.chart)
    .filter((e) =>
      !range ||
      semver.satisfies(e.version, range, { includePrerelease: options.devel === true })
    )
    .sort((a, b) => a.name.localeCompare(b.name) || semver.rcompare(a.version, b.version));
}

/**
 * The repository's URL and how to reach it: `@NAME` / `alias:NAME` (a repository of Helm's
 * repositories.yaml) or a URL, with `options.access`, else what repositories.yaml keeps for it.
 */
async function repositoryAccess(
  input: string,
  options: ImportOptions,
): Promise<{ url: string; access: ClassicRepoAccess }> {
  const known = await readHelmRepositories(options.repositoryConfig);
  if (isRepositoryName(input)) {
    const found = findHelmRepository(known, input);
    if (!found) {
      throw new ChartError(`no repository named "${input}" in Helm's repositories.yaml`);
    }
    return { url: found.url, access: options.access ?? found };
  }
  const base = indexAddress(input).href.replace(/\/[^/]*\.ya?ml(\?.*)?$/, "");
  return {
    url: input,
    access: options.access ?? findHelmRepository(known, base) ?? {},
  };
}

/**
 * Imports the repository at `indexUrl` (its index.yaml, the repository URL, or `@NAME` of Helm's
 * repositories.yaml) into `namespace` (`registry/path`, charts go to `namespace/<name>`).
 */
export async function importRepository(
  indexUrl: string,
  namespace: Reference,
  open: RepositoryOpener,
  options: ImportOptions = {},
): Promise<ImportSummary> {
  const { url, access } = await repositoryAccess(indexUrl, options);
  const [verify] = await readKeyrings(options.keyring === undefined ? [] : [options.keyring]);
  using client = await ClassicRepoClient.open(indexAddress(url).href, access);
  const index = await fetchIndex(indexAddress(url), client);
  const entries = select(index.entries, options);
  if (options.chart && entries.length === 0 && !index.bad.some((b) => b.name === options.chart)) {
    const names = [...new Set(index.entries.map((e) => e.name))].sort();
    const listed = names.includes(options.chart)
      ? ` with a version in "${options.version}"`
      : ` (it lists ${names.length > 10 ? `${names.length} charts: ` : ""}${
        names.slice(0, 10).join(", ") || "none"
      }${names.length > 10 ? ", ..." : ""})`;
    throw new ChartError(`the index lists no chart "${options.chart}"${listed}`);
  }
  const results: ImportResult[] = index.bad
    .filter((b) => !options.chart || b.name === options.chart)
    .map((b) => ({
      status: "failed",
      name: b.name,
      version: b.version,
      error: new ChartError(`index.yaml: ${b.reason}`),
    }));
  for (const result of results) options.onResult?.(result);

  // One repository and one tag list per chart name, shared by its versions.
  const repositories = new Map<string, Promise<{ target: Target; tags: Set<string> }>>();
  const repositoryOf = (name: string) => {
    let found = repositories.get(name);
    if (!found) {
      found = (async () => {
        const target = await open({ ...namespace, repository: `${namespace.repository}/${name}` });
        const tags = await Array.fromAsync(target.tags()).catch((error) => {
          if (isMissing(error)) return [];
          throw error;
        });
        return { target, tags: new Set(tags) };
      })();
      repositories.set(name, found);
    }
    return found;
  };

  const tmp = await Deno.makeTempDir({ prefix: "h3-import-" });
  try {
    const limit = pLimit(options.concurrency ?? 4);
    const done = await Promise.all(
      entries.map((entry, i) =>
        limit(async (): Promise<ImportResult> => {
          const tag = versionToTag(entry.version);
          const ref = `${repositoryName(namespace)}/${entry.name}:${tag}`;
          let result: ImportResult;
          try {
            const { target, tags } = await repositoryOf(entry.name);
            if (tags.has(tag)) {
              result = { status: "exists", entry, ref };
            } else {
              const pushed = await importVersion(entry, target, tag, `${tmp}/${i}`, client, verify);
              result = { status: "pushed", entry, ref, ...pushed };
            }
          } catch (error) {
            result = { status: "failed", name: entry.name, version: entry.version, error };
          }
          options.onResult?.(result);
          return result;
        })
      ),
    );
    results.push(...done);
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
  const count = (status: ImportResult["status"]) =>
    results.filter((r) => r.status === status).length;
  return { results, pushed: count("pushed"), existing: count("exists"), failed: count("failed") };
}

/**
 * Downloads, checks and pushes one version; the temp files are `dir/chart.tgz[.prov]`. With
 * `verify`, its provenance must be signed by a key of the keyring and vouch for the .tgz.
 */
async function importVersion(
  entry: IndexEntry,
  target: Target,
  tag: string,
  dir: string,
  client: ClassicRepoClient,
  verify?: NamedKeyring,
): Promise<{ digest: string; provenance: boolean; signedBy?: string }> {
  await Deno.mkdir(dir);
  const path = `${dir}/${entry.name}-${entry.version}.tgz`;
  const url = new URL(entry.urls[0]);
  await downloadArchive(url, path, entry.digest, "", client);
  const provenance = await download(new URL(`${url.href}.prov`), `${path}.prov`, client);
  const archive = await readChartArchive(path);
  if (archive.meta.name !== entry.name || archive.meta.version !== entry.version) {
    throw new ChartError(
      `${url.href} holds ${archive.meta.name} ${archive.meta.version}, not what index.yaml says`,
    );
  }
  let signedBy: string | undefined;
  if (verify) {
    if (!provenance) {
      throw new SignatureError(`no provenance (${url.href}.prov) to verify with ${verify.name}`);
    }
    const prov = await Deno.readTextFile(`${path}.prov`);
    const checked = await checkProvenance(
      prov,
      verify.bytes,
      verify.name,
      archive.content.digest,
      archive.meta,
    );
    signedBy = checked.signedBy;
  }
  // The index's publication time as the created annotation: a re-import gives the same manifest.
  const created = entry.created ? new Date(entry.created) : undefined;
  const source = await archiveSource(
    archive,
    created && !isNaN(created.getTime()) ? created : new Date(),
  );
  const result = await transfer(source, source.chartTag, target, tag, entry.name, {});
  return { digest: result.desc.digest, provenance, signedBy };
}

/** Downloads `url` to `path` when the server has it (a 404 is "no such file": false). */
async function download(url: URL, path: string, client: ClassicRepoClient): Promise<boolean> {
  const response = await client.getIfThere(url, "");
  if (!response) return false;
  await writeStream(
    await Deno.open(path, { write: true, createNew: true }),
    response.body!.pipeThrough(capped(1024 * 1024)),
  );
  return true;
}
