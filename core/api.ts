/**
 * h3 as a library: the client (`openH3`), and the chart workflow as free functions, each a
 * shorthand that opens a default client (h3's settings and credentials, as the CLI), runs one
 * operation and closes it. Also Targets (the cache, registry repositories) and `copy` between them.
 * @module
 */
import { openH3 } from "./client.ts";
import type { H3, H3Options } from "./h3.ts";
import type { OciLayout } from "./cache/layout.ts";
import type { DependencyOptions } from "./chart/dependencies.ts";
import { parseReference, type Reference } from "./ref.ts";
import type { Repository } from "./transport/repository.ts";
import type { CopyOptions, CopyResult } from "./copy.ts";
import type { Target } from "./target.ts";
import type {
  Referrer,
  ReferrersCopyOptions,
  ReferrersCopyResult,
  ReferrersOptions,
} from "./referrers.ts";

export { openH3 } from "./client.ts";
export type {
  ChartPullOptions,
  ChartPullResult,
  ChartPushOptions,
  ChartPushResult,
  CopyChartsOptions,
  EnvOptions,
  ExportOptions,
  H3,
  H3Options,
  LoginResult,
  ReferrersResult,
  RemoteDeleteResult,
  RemoveResult,
  SignedChart,
  SignOptions,
  TagsOptions,
  TransferOptions,
  VerifySignatureOptions,
} from "./h3.ts";
export type { CopyOptions, CopyResult, ManifestBytes } from "./copy.ts";
export type { OciLayout } from "./cache/layout.ts";
export type { IndexEntry } from "./cache/index_file.ts";
export type { Repository } from "./transport/repository.ts";
export type { TransportOptions } from "./transport/options.ts";
export type { ProxySettings } from "./transport/proxy.ts";
export type { ChartTransfer, ChartTransferOptions } from "./chart/transfer.ts";
export type {
  LayoutPullOptions,
  LayoutPullResult,
  LayoutPushResult,
} from "./chart/layout_transfer.ts";
export type { DownloadOptions, DownloadResult } from "./chart/download.ts";
export type { ExtractOptions } from "./chart/extract.ts";
export type { ExportResult } from "./chart/export.ts";
export type { SaveOptions, SaveResult } from "./chart/save.ts";
export type { TagInfo } from "./chart/tags.ts";
export type { RepairResult, VerifyReport } from "./cache/verify.ts";
export type { RegistrySettings, TransportFlags } from "./config.ts";
export type { CopyEvent } from "./copy.ts";
export type { StaleTemp } from "./cache/_files.ts";
export type { TagResult } from "./chart/retag.ts";
export type { MirrorSummary, TagCopy, TagCopyResult } from "./mirror.ts";
export type { SavedLogin } from "./auth/store.ts";
export type { CredentialStore, EnvReport, RegistryReport } from "./env.ts";
export type {
  ChartLock,
  DependencyOptions,
  DependencyResult,
  DependencyStatus,
  LockedDependency,
} from "./chart/dependencies.ts";
export { ociIndexYaml } from "./repo/index_yaml.ts";
export type { ImportOptions, ImportResult, ImportSummary } from "./repo/import.ts";
export type { ClassicRepoAccess, HelmRepository } from "./chart/classic_repo.ts";
export type { IndexEntry as RepoIndexEntry } from "./chart/repo_index.ts";
export type { ChartText, ShowPart, ShowResult, ShowSource } from "./chart/show.ts";
export type { VersionRequest } from "./chart/versions.ts";
export type {
  Referrer,
  ReferrersCopyOptions,
  ReferrersCopyResult,
  ReferrersOptions,
  ReferrerSource,
} from "./referrers.ts";
export type { SignResult, SimpleSigningClaim, VerifiedSignature } from "./sign/cosign.ts";
export type { PasswordSource, SigningKey } from "./sign/keys.ts";
export type { NamedKey, NamedKeyring, TrustRequirement, TrustResult } from "./sign/trust.ts";
export type { ProvenanceResult } from "./sign/provenance.ts";
export { archiveName, provenanceMessage } from "./chart/provenance_text.ts";
export { policyFor, type TrustPolicy } from "./sign/policy.ts";
export type { BundleSignResult } from "./sign/bundle.ts";
export type { ChartSignResult } from "./sign/sign.ts";
export type { KeylessIdentity, KeylessSigner } from "./sign/keyless.ts";
export * from "./api_signing.ts";
export type { TrustOptions } from "./sign/trust_options.ts";

/**
 * Opens the local chart cache at `$HELM_HOME/registry`, a Target; use it with
 * `using cache = await openCache()` so its index.json is closed when done.
 */
export async function openCache(): Promise<OciLayout> {
  const { openCache } = await import("./cache/layout.ts");
  return await openCache();
}

/** Copies `srcRef` in `src` to `dstRef` in `dst`: blobs first, the manifest last. */
export async function copy(
  src: Target,
  srcRef: string,
  dst: Target,
  dstRef: string,
  options?: CopyOptions,
): Promise<CopyResult> {
  const { copy } = await import("./copy.ts");
  return await copy(src, srcRef, dst, dstRef, options);
}

/**
 * Everything that refers to the manifest `subject` (a digest) in `target`, nested: signatures,
 * SBOMs, attestations and their own referrers, at most `maxReferrers` in all.
 */
export async function listReferrers(
  target: Target,
  subject: string,
  options?: ReferrersOptions,
): Promise<Referrer[]> {
  const { listReferrers } = await import("./referrers.ts");
  return await listReferrers(target, subject, options);
}

/**
 * Copies `referrers` of the manifest `subject` (as `listReferrers` found them in `src`) to `dst`,
 * nested ones too: cosign's tags as the same tags; others by digest, and, where `dst` has no
 * referrers API, added to its tag schema index. What `dst` has already is not copied again.
 */
export async function copyReferrers(
  src: Target,
  dst: Target,
  subject: string,
  referrers: Referrer[],
  options?: ReferrersCopyOptions,
): Promise<ReferrersCopyResult> {
  const { copyReferrers } = await import("./referrers.ts");
  return await copyReferrers(src, dst, subject, referrers, options);
}

/** Runs `operation` on a client opened with `options`, closed when it ends. */
async function once<T>(options: H3Options, operation: (h3: H3) => Promise<T>): Promise<T> {
  await using h3 = await openH3(options);
  return await operation(h3);
}

/**
 * Opens the registry repository `ref` names as a Target, as `h3.openRepository` does: h3's
 * settings for its host (`options`, then `H3_*` variables, then `config.yaml` and certs.d),
 * registries.conf (a blocked registry is refused, an insecure one reached without TLS checks)
 * and h3's credentials (plugins, then the Docker config). Dispose it (`using`) to close its
 * connections.
 */
export async function openRepository(
  ref: string | Reference,
  options: H3Options = {},
): Promise<Repository> {
  const parsed = typeof ref === "string" ? parseReference(ref) : ref;
  const { RegistryHosts } = await import("./registry_hosts.ts");
  const hosts = new RegistryHosts(options, { debug: options.debug, warn: options.onWarning });
  try {
    return await hosts.open(parsed, hosts);
  } catch (error) {
    hosts[Symbol.dispose]();
    throw error;
  }
}

/** Saves the chart directory `dir` into the local cache as `ref` (tag: the chart's version). */
export function save(
  dir: string,
  ref: string,
  options?: Parameters<H3["save"]>[2],
): ReturnType<H3["save"]> {
  return once({}, (h3) => h3.save(dir, ref, options));
}

/**
 * Pushes the cached chart `ref` to its registry, as `h3 chart push`: untagged, the repository's
 * only cached tag or its highest stable version; or a `.tgz` file to `options.remote`.
 */
export function push(
  ref: string,
  options: Parameters<H3["push"]>[1] & H3Options = {},
): ReturnType<H3["push"]> {
  return once(options, (h3) => h3.push(ref, options));
}

/**
 * Pulls chart `ref` into the local cache, as `h3 chart pull`: without a tag the highest stable
 * version (`version` narrows it), a digest pins it, `destination`/`untar` write files instead.
 */
export function pull(
  ref: string,
  options: Parameters<H3["pull"]>[1] & H3Options = {},
): ReturnType<H3["pull"]> {
  return once(options, (h3) => h3.pull(ref, options));
}

/**
 * `h3 chart push CHART oci:DIR[:REF]` (or `oci-archive:FILE[:REF]`): a cached chart or a `.tgz`
 * file into an OCI layout or layout archive, under REF or else its tag (a file: its version).
 */
export function pushToLayout(
  chart: string,
  layout: string,
  options: Parameters<H3["pushToLayout"]>[2] & H3Options = {},
): ReturnType<H3["pushToLayout"]> {
  return once(options, (h3) => h3.pushToLayout(chart, layout, options));
}

/**
 * `h3 chart pull oci:DIR[:REF]` (or `oci-archive:FILE[:REF]`): the layout's chart written as
 * `NAME-VERSION.tgz` into `destination` (default `.`), or as `NAME/` with `untar`.
 */
export function pullFromLayout(
  layout: string,
  options: Parameters<H3["pullFromLayout"]>[1] & H3Options = {},
): ReturnType<H3["pullFromLayout"]> {
  return once(options, (h3) => h3.pullFromLayout(layout, options));
}

/** Every chart in the local cache: its full reference and manifest descriptor. */
export function list(): ReturnType<H3["list"]> {
  return once({}, (h3) => h3.list());
}

/**
 * Writes the cached chart `ref` into `destination/<chart name>/` (under a trust policy, once its
 * signature is found in its registry).
 */
export function exportChart(
  ref: string,
  destination: string,
  options: Parameters<H3["exportChart"]>[2] & H3Options = {},
): ReturnType<H3["exportChart"]> {
  return once(options, (h3) => h3.exportChart(ref, destination, options));
}

/** Removes refs from the local cache, then the blobs no chart needs any more. */
export function remove(refs: string | string[]): ReturnType<H3["remove"]> {
  return once({}, (h3) => h3.remove(refs));
}

/** Deletes cached blobs no chart needs, and leftovers of interrupted writes. */
export function prune(): ReturnType<H3["prune"]> {
  return once({}, (h3) => h3.prune());
}

/** Every tag of the registry repository `repo` and the chart it points at, newest SemVer first. */
export function tags(
  repo: string,
  options: Parameters<H3["tags"]>[1] & H3Options = {},
): ReturnType<H3["tags"]> {
  return once(options, (h3) => h3.tags(repo, options));
}

/** Checks the local cache (or only `refs`): every ref's manifest and blobs, re-hashed. Reads only. */
export function verify(refs?: string[]): ReturnType<H3["verify"]> {
  return once({}, (h3) => h3.verify(refs));
}

/** Checks the local cache (or `refs`) and removes what is broken, as `chart verify --repair`. */
export function repair(refs?: string[]): ReturnType<H3["repair"]> {
  return once({}, (h3) => h3.repair(refs));
}

/**
 * Adds `newTags` to the chart `ref` (a tag or digest) names in its registry; nothing is uploaded
 * again: the manifest is read once and stored under each tag.
 */
export function tag(
  ref: string,
  newTags: string[],
  options: H3Options = {},
): ReturnType<H3["tag"]> {
  return once(options, (h3) => h3.tag(ref, newTags));
}

/**
 * What `helm show PART` shows of chart `ref`: read in the cache when it holds that tag or digest,
 * else in the registry (only the manifest, the config and, unless `part` is `chart`, the content
 * blob); with no tag, `options.version` (a range) and `options.devel` select as pull does.
 */
export function show(
  ref: string,
  part?: Parameters<H3["show"]>[1],
  options: Parameters<H3["show"]>[2] & H3Options = {},
): ReturnType<H3["show"]> {
  return once(options, (h3) => h3.show(ref, part, options));
}

/**
 * What refers to the chart `ref` in its registry (signatures, SBOMs, attestations), nested: the
 * referrers API, else the referrers tag schema, and cosign's tags.
 */
export function referrers(
  ref: string,
  options: Parameters<H3["referrers"]>[1] & H3Options = {},
): ReturnType<H3["referrers"]> {
  return once(options, (h3) => h3.referrers(ref, options));
}

/**
 * `chart delete --remote`: deletes the manifest `ref` (with a tag or digest) names in its
 * registry, and with it every tag pointing at it.
 */
export function deleteRemote(ref: string, options: H3Options = {}): ReturnType<H3["deleteRemote"]> {
  return once(options, (h3) => h3.deleteRemote(ref));
}

/**
 * Signs the chart `ref` in its registry as `cosign sign --key` does: a simple-signing payload
 * stored under `sha256-<hex>.sig`, or with `options.bundle` a Sigstore bundle referrer.
 */
export function sign(
  ref: string,
  options: Parameters<H3["sign"]>[1] & H3Options,
): ReturnType<H3["sign"]> {
  return once(options, (h3) => h3.sign(ref, options));
}

/**
 * Checks the chart `ref` in its registry: a cosign signature over its exact manifest digest, or its
 * Helm provenance; throws a `SignatureError` when it is missing, altered, by another key or for
 * another chart.
 */
export function verifySignature(
  ref: string,
  options: Parameters<H3["verifySignature"]>[1] & H3Options,
): ReturnType<H3["verifySignature"]> {
  return once(options, (h3) => h3.verifySignature(ref, options));
}

/**
 * `repo import`: pushes the versions of the classic repository at `indexUrl` (its index.yaml, or
 * the repository URL) to `namespace/<chart name>:<version>` in Helm's layout; versions already
 * there are skipped; failures are in the summary, not thrown.
 */
export function importRepo(
  indexUrl: string,
  namespace: string,
  options: Parameters<H3["importRepo"]>[2] & H3Options = {},
): ReturnType<H3["importRepo"]> {
  return once(options, (h3) => h3.importRepo(indexUrl, namespace, options));
}

/**
 * `chart dependency update DIR`: the newest versions the declared ranges allow, downloaded into
 * `DIR/charts/`, and Chart.lock (requirements.lock for v1) written as Helm writes it.
 */
export function updateDependencies(
  dir: string,
  options: H3Options & DependencyOptions = {},
): ReturnType<H3["updateDependencies"]> {
  return once(options, (h3) => h3.updateDependencies(dir, options));
}

/** `chart dependency build DIR`: the lock file's versions into `DIR/charts/` (no lock: update). */
export function buildDependencies(
  dir: string,
  options: H3Options & DependencyOptions = {},
): ReturnType<H3["buildDependencies"]> {
  return once(options, (h3) => h3.buildDependencies(dir, options));
}

/** `chart dependency list DIR`: each declared dependency and whether `charts/` holds it. */
export function listDependencies(dir: string): ReturnType<H3["listDependencies"]> {
  return once({}, (h3) => h3.listDependencies(dir));
}

/**
 * `chart copy SRC DST`: charts from and to registry repositories, `oci:DIR[:REF]` layouts and
 * `oci-archive:FILE.tar[:REF]` archives (skopeo's syntax); one tag (or SRC's highest version), or
 * every tag with `allTags`. Failures are in the summary, not thrown; an archive destination is
 * written once something was copied or found up to date.
 */
export function copyCharts(
  src: string,
  dst: string,
  options: Parameters<H3["copyCharts"]>[2] & H3Options = {},
): ReturnType<H3["copyCharts"]> {
  return once(options, (h3) => h3.copyCharts(src, dst, options));
}

/**
 * `registry login`: checks the username and password against `registry`, then stores them as
 * Docker does (its credential helper when one is set); `options`' TLS files are remembered for
 * the host in h3's config.
 */
export function login(
  registry: string,
  credential: Parameters<H3["login"]>[1],
  options: H3Options = {},
): ReturnType<H3["login"]> {
  return once(options, (h3) => h3.login(registry, credential));
}

/** `registry logout`: removes the login stored for `registry`; false when there was none. */
export function logout(registry: string): ReturnType<H3["logout"]> {
  return once({}, (h3) => h3.logout(registry));
}

/** `env`: the paths and settings h3 uses; with `options.registry`, that host's settings too. */
export function env(options: Parameters<H3["env"]>[0] & H3Options = {}): ReturnType<H3["env"]> {
  return once(options, (h3) => h3.env(options));
}
