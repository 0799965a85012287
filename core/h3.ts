/**
 * What the h3 client offers: every chart operation of the CLI as a method with options named after
 * its flags, over one cache handle and one set of registry connections. `openH3()` (in
 * `client.ts`) makes one; plugins get one as `ctx.h3`. Declared apart from its implementation so
 * plugin types can name it without importing the client.
 * @module
 */
import type { OciLayout } from "./cache/layout.ts";
import type { IndexEntry } from "./cache/index_file.ts";
import type { RepairResult, VerifyReport } from "./cache/verify.ts";
import type { ExportResult } from "./chart/export.ts";
import type { SaveOptions, SaveResult } from "./chart/save.ts";
import type { TagInfo } from "./chart/tags.ts";
import type { TagResult } from "./chart/retag.ts";
import type {
  DependencyOptions,
  DependencyResult,
  DependencyStatus,
} from "./chart/dependencies.ts";
import type { ImportOptions, ImportSummary } from "./repo/import.ts";
import type { ShowPart, ShowResult, ShowSource } from "./chart/show.ts";
import type { VersionRequest } from "./chart/versions.ts";
import type { Referrer, ReferrersOptions } from "./referrers.ts";
import type { MirrorSummary, TagCopy, TagCopyResult } from "./mirror.ts";
import type { ChartSignResult } from "./sign/sign.ts";
import type { PasswordSource } from "./sign/keys.ts";
import type { TrustRequirement, TrustResult } from "./sign/trust.ts";
import type { TrustOptions } from "./sign/trust_options.ts";
import type { ChartTransfer } from "./chart/transfer.ts";
import type {
  LayoutPullOptions,
  LayoutPullResult,
  LayoutPushResult,
} from "./chart/layout_transfer.ts";
import type { TransportFlags } from "./config.ts";
import type { SavedLogin } from "./auth/store.ts";
import type { EnvReport } from "./env.ts";
import type { CopyEvent, CopyOptions, CopyResult } from "./copy.ts";
import type { Reference } from "./ref.ts";
import type { Descriptor } from "./oci/descriptor.ts";
import type { Target } from "./target.ts";
import type { Repository } from "./transport/repository.ts";

/**
 * How a client reaches registries. Each setting given here wins over its `H3_*` variable, which
 * wins over `config.yaml` (per host), which wins over h3's default.
 */
export interface H3Options extends TransportFlags {
  /** Receives one line per registry request (secrets redacted), as `--debug` prints them. */
  debug?: (line: string) => void;
  /**
   * Hears what h3 went past without failing (a credential plugin that could not be loaded, a
   * name a registry listed that is not a valid tag); see also `H3.addWarningListener`. `problem`
   * is the error a warning stands for, when there is one (its data and remedy: the CLI words them).
   */
  onWarning?: (message: string, problem?: unknown) => void;
}

/** How a push or pull reports its progress. */
export interface TransferOptions {
  /** Each blob's events, for progress bars. */
  onEvent?: (event: CopyEvent) => void;
  /**
   * Hears the reference once the chart and its registry are found (a push: the cached ref an
   * untagged one resolved to, or where a `.tgz` goes; a pull: the tag a version request selected),
   * before anything moves.
   */
  onStart?: (ref: Reference) => void;
}

/** How `push` runs. */
export interface ChartPushOptions extends TransferOptions {
  /**
   * With a packaged chart (`.tgz`) instead of a cached ref: where it goes, `oci://REGISTRY[/NS]`
   * (the chart's name and version make the rest of the reference), as `helm push` does.
   */
  remote?: string;
  /**
   * Called when the push waits for another push in this process of the same chart to the same
   * repository (another tag of it) to store it; a caller running many pushes a few at a time can
   * start the next one meanwhile. The push goes on after its wait, with only the tag left to put.
   */
  onWaiting?: () => void;
}

/** What a push did. */
export interface ChartPushResult extends ChartTransfer {
  /** The reference pushed to. */
  ref: Reference;
}

/**
 * How `pull` picks the chart and where it goes, and what it must be signed with (`verify` with
 * `keys`, `keyrings` or `identities`; without `verify`, the config's trust policy for the
 * repository applies, if one does), checked before any blob moves.
 */
export interface ChartPullOptions extends TransferOptions, TrustOptions {
  /** For a reference without a tag: a SemVer version or range (e.g. `^1.2.0`). */
  version?: string;
  /** Let a range (or no tag) select pre-releases too. */
  devel?: boolean;
  /**
   * Write `NAME-VERSION.tgz` into this directory instead of the cache (Helm's form, also taken,
   * into `.`, when `version` is given with an `oci://` reference).
   */
  destination?: string;
  /** Write the chart as a directory `destination/NAME/` instead (Helm's form). */
  untar?: boolean;
  /** With `untar`: replace an existing `destination/NAME/`. */
  force?: boolean;
  /** Helm's form: also write `NAME-VERSION.tgz.prov`, the chart's provenance. */
  prov?: boolean;
  /** Refuse the chart unless signed as `keys`, `keyrings`, `identities` or `trust` ask. */
  verify?: boolean;
  /**
   * Into the cache: called when all that is left is waiting for the chart's tag to be written
   * into the cache's index.json together with other pulls' tags; a caller running many pulls a
   * few at a time can start the next one. The pull still resolves only once the tag is written.
   */
  onQueued?: () => void;
  /**
   * Into the cache: called when the pull waits for another pull in this client of the same chart
   * (another tag of it) to store it, then finds it stored; a caller running many pulls a few at a
   * time can start the next one meanwhile. The pull goes on after its wait.
   */
  onWaiting?: () => void;
}

/** What a pull did, into the cache or (Helm's form) to a file or directory. */
export interface ChartPullResult extends ChartTransfer {
  /** The reference pulled, with the tag the version request selected. */
  ref: Reference;
  /**
   * In Helm's form, the file (`out/mychart-1.2.3.tgz`) or, with `untar`, the directory written;
   * undefined when the chart went into the cache.
   */
  path?: string;
  /** With `prov`: the provenance file written. */
  provPath?: string;
}

/** How `exportChart` writes the chart. */
export interface ExportOptions {
  /** Replace `destination/<chart name>/` if it exists (only once the export has succeeded). */
  force?: boolean;
  /** Largest decompressed chart accepted, in bytes (default 100 MiB). */
  maxSize?: number;
  /** Largest single file accepted, in bytes (default 5 MiB). */
  maxFileSize?: number;
}

/** How `tags` lists. */
export interface TagsOptions {
  /** Also list tags that are not Helm charts (marked `chart: false`). */
  all?: boolean;
}

/** What `remove` did. */
export interface RemoveResult {
  /** The refs removed from the cache. */
  removed: string[];
  /** Blobs and bytes freed afterwards. */
  collected: { blobs: number; bytes: number };
}

/** How `sign` finds its key. */
export interface SignOptions {
  /** A cosign private key file (encrypted cosign PEM, PKCS#8 or EC PEM). */
  key: string;
  /** The password of an encrypted key (default: `COSIGN_PASSWORD`). */
  password?: PasswordSource;
  /**
   * Store a Sigstore bundle referrer (cosign 3's default form, `--bundle`) instead of a layer of
   * the `sha256-<hex>.sig` manifest.
   */
  bundle?: boolean;
}

/**
 * Which chart an operation resolved (`sign`, `verifySignature`, `referrers`): the reference (an
 * untagged one: its version) and the manifest.
 */
export interface SignedChart {
  /** The reference resolved, with the tag a missing one resolved to. */
  ref: Reference;
  /** The chart's manifest. */
  subject: Descriptor;
}

/** What `verifySignature` checks with: any one key, keyring or keyless signer vouching is enough. */
export type VerifySignatureOptions = TrustOptions;

/** What `referrers` found: the chart resolved, and what refers to its manifest. */
export interface ReferrersResult extends SignedChart {
  /** Signatures, SBOMs and attestations, nested (what refers to each referrer under it). */
  referrers: Referrer[];
}

/** What `deleteRemote` deleted. */
export interface RemoteDeleteResult {
  /** The reference deleted. */
  ref: Reference;
  /** The manifest deleted (every tag pointing at it went with it). */
  desc: Descriptor;
}

/** What `login` did. */
export interface LoginResult {
  /** The registry host logged in to (`oci://`, a scheme and a path dropped). */
  registry: string;
  /** Where the login went: a credential helper, or a file holding it unencrypted. */
  stored: SavedLogin;
  /** The TLS settings remembered for the host in h3's config (`caFile`, `certFile`, `keyFile`). */
  remembered: string[];
}

/** How `env` reports. */
export interface EnvOptions {
  /** Also report the settings and credential store in force for this registry host. */
  registry?: string;
}

/** How `copyCharts` runs. */
export interface CopyChartsOptions {
  /** Copy every tag of `src` (tags that are not charts are left out). */
  allTags?: boolean;
  /** Carry each chart's referrers (signatures, SBOMs, attestations) with it. */
  referrers?: boolean;
  /** Tags copied at once (default: the client's `concurrency`, `H3_CONCURRENCY`, config, 8). */
  tagConcurrency?: number;
  /**
   * What each chart must be signed with, checked at `src` (a registry) before its blobs move;
   * without it the config's trust policy for `src` applies, if one does.
   */
  trust?: TrustRequirement;
  /** Each tag's blob events, for progress bars. */
  onEvent?: (copy: TagCopy, event: CopyEvent) => void;
  /** Each tag's result, as soon as it is done. */
  onResult?: (result: TagCopyResult) => void;
}

/**
 * An h3 client: the CLI's operations on charts, as methods. Dispose it to close connections and
 * the cache's index.json it holds open (see `OciLayout`).
 */
export interface H3 extends AsyncDisposable {
  /** The local chart cache (`$HELM_HOME/registry`). */
  readonly cache: OciLayout;
  /** The local chart cache (the same handle as `cache`). */
  openCache(): Promise<OciLayout>;
  /**
   * Hears this client's warnings (what `H3Options.onWarning` hears) until the result is
   * disposed: how a plugin, given `ctx.h3`, learns what its operations went past. Like
   * `onWarning`, a listener is given the message and, where there is one, the error behind it.
   */
  addWarningListener(listener: (message: string, problem?: unknown) => void): Disposable;
  /** The registry repository `ref` names, reached with this client's settings and credentials. */
  openRepository(ref: string | Reference): Promise<Repository>;
  /**
   * How many refs (or tags) this client's bulk operations run at once: `H3Options.concurrency`,
   * else `H3_CONCURRENCY`, else config.yaml's `concurrency`, else 8. For callers running their
   * own loop over refs, as the CLI does.
   */
  concurrency(): Promise<number>;
  /** Saves the chart directory `dir` into the cache as `ref` (tag: the chart's version). */
  save(dir: string, ref: string, options?: SaveOptions): Promise<SaveResult>;
  /** Every chart in the cache: its full reference and manifest descriptor. */
  list(): Promise<IndexEntry[]>;
  /**
   * Writes the cached chart `ref` into `destination/<chart name>/`; under a trust policy of the
   * config, the chart must first be found signed in its registry over exactly the cached digest.
   */
  exportChart(ref: string, destination: string, options?: ExportOptions): Promise<ExportResult>;
  /**
   * Pushes the cached chart `ref` to its registry (untagged: the repository's only cached tag, or
   * its highest stable version); or, with
   * `options.remote`, the packaged chart file `ref` to that registry namespace.
   */
  push(ref: string, options?: ChartPushOptions): Promise<ChartPushResult>;
  /**
   * Pulls chart `ref` into the cache. Without a tag the highest stable version is taken (`version`
   * narrows it); a digest pins the manifest; `destination`/`untar` write files instead.
   */
  pull(ref: string, options?: ChartPullOptions): Promise<ChartPullResult>;
  /**
   * `chart push CHART LAYOUT`: the cached chart `chart` (untagged: as `push` picks it) or the
   * packaged chart file `chart` (`.tgz`) into the OCI layout `layout` (`oci:DIR[:REF]`) or layout
   * archive (`oci-archive:FILE[:REF]`), under REF or else its tag (a file: its version).
   */
  pushToLayout(chart: string, layout: string, options?: TransferOptions): Promise<LayoutPushResult>;
  /**
   * `chart pull LAYOUT`: the chart the OCI layout (`oci:DIR[:REF]`) or layout archive
   * (`oci-archive:FILE[:REF]`) holds under REF (none: the highest stable version, or what
   * `version`/`devel` select) written to `destination` as `NAME-VERSION.tgz` (or `NAME/` with
   * `untar`), as Helm's form of pull writes it. The layout is only read.
   */
  pullFromLayout(layout: string, options?: Partial<LayoutPullOptions>): Promise<LayoutPullResult>;
  /**
   * Removes refs from the cache, then deletes the blobs no chart needs any more (an untagged ref:
   * the repository's only cached tag, or its highest stable version).
   */
  remove(refs: string | string[]): Promise<RemoveResult>;
  /** Deletes cached blobs no chart needs, and leftovers of interrupted writes. */
  prune(): Promise<{ blobs: number; bytes: number }>;
  /** Checks the cache (or only `refs`): every ref's manifest and blobs, re-hashed. Reads only. */
  verify(refs?: string[]): Promise<VerifyReport>;
  /** Checks the cache (or `refs`) with no other process writing, and removes what is broken. */
  repair(refs?: string[]): Promise<RepairResult>;
  /** Every tag of the registry repository `repo` and the chart it points at, newest first. */
  tags(repo: string, options?: TagsOptions): Promise<TagInfo[]>;
  /**
   * Adds `newTags` to the chart `ref` names in its registry (untagged: its only tag, or its
   * highest stable version); nothing is uploaded again: the manifest is read once and stored under
   * each tag.
   */
  tag(ref: string, newTags: string[]): Promise<TagResult>;
  /**
   * What `helm show PART` shows of chart `ref`: read in the cache when it holds that tag or
   * digest, else in the registry; with no tag, `version` (a range) and `devel` select as pull does.
   */
  show(
    ref: string,
    part?: ShowPart,
    options?: VersionRequest,
  ): Promise<ShowResult & { source: ShowSource }>;
  /**
   * What refers to the chart `ref` in its registry (signatures, SBOMs, attestations), nested: the
   * referrers API, else the referrers tag schema, and cosign's tags.
   */
  referrers(ref: string, options?: ReferrersOptions): Promise<ReferrersResult>;
  /**
   * `chart delete --remote`: deletes the manifest `ref` (with a tag or digest) names in its
   * registry, and with it every tag pointing at it; a digest with a tag must match the tag's.
   */
  deleteRemote(ref: string): Promise<RemoteDeleteResult>;
  /**
   * Signs the chart `ref` in its registry as `cosign sign --key` does: a simple-signing payload
   * stored under `sha256-<hex>.sig`, or with `bundle` a Sigstore bundle referrer.
   */
  sign(ref: string, options: SignOptions): Promise<ChartSignResult & SignedChart>;
  /**
   * Checks the chart `ref` in its registry: a cosign signature over its exact manifest digest, or
   * its Helm provenance; throws a `SignatureError` when it is missing, altered, by another key or
   * for another chart.
   */
  verifySignature(
    ref: string,
    options: VerifySignatureOptions,
  ): Promise<TrustResult & SignedChart>;
  /**
   * `chart copy SRC DST`: charts from and to registry repositories, `oci:DIR[:REF]` layouts and
   * `oci-archive:FILE.tar[:REF]` archives (skopeo's syntax); one tag (or SRC's highest version),
   * or every tag with `allTags`. Failures are in the summary, not thrown; an archive destination
   * is written once something was copied or found up to date.
   */
  copyCharts(src: string, dst: string, options?: CopyChartsOptions): Promise<MirrorSummary>;
  /**
   * `repo import`: pushes the versions of the classic repository at `indexUrl` (its index.yaml,
   * or the repository URL) to `namespace/<chart name>:<version>` in Helm's layout; versions
   * already there are skipped; failures are in the summary, not thrown. `ociIndexYaml(summary)`
   * gives an index.yaml pointing at the pushed charts.
   */
  importRepo(indexUrl: string, namespace: string, options?: ImportOptions): Promise<ImportSummary>;
  /**
   * `chart dependency update DIR`: each declared dependency resolved to the newest version its
   * range allows (oci://, http(s):// index.yaml, file://), downloaded into `DIR/charts/`, and the
   * lock file (Chart.lock, or requirements.lock for apiVersion v1) written as Helm writes it.
   */
  updateDependencies(dir: string, options?: DependencyOptions): Promise<DependencyResult>;
  /** `chart dependency build DIR`: the lock file's versions into `DIR/charts/` (no lock: update). */
  buildDependencies(dir: string, options?: DependencyOptions): Promise<DependencyResult>;
  /** `chart dependency list DIR`: each declared dependency and whether `charts/` holds it. */
  listDependencies(dir: string): Promise<DependencyStatus[]>;
  /**
   * `registry login`: checks `credential` against `registry` (GET /v2/ with the whole auth flow,
   * with this client's TLS settings), then stores it as Docker does (its credential helper when
   * one is set, else the Docker config) and remembers the client's `caFile`, `certFile` and
   * `keyFile` for the host in h3's config. Throws an `AuthError` when the registry refuses it.
   */
  login(registry: string, credential: { username: string; password: string }): Promise<LoginResult>;
  /**
   * `registry logout`: removes the login stored for `registry` (from its credential helper too);
   * false when there was none.
   */
  logout(registry: string): Promise<boolean>;
  /** `env`: the paths and settings h3 uses; with `registry`, that host's settings too. */
  env(options?: EnvOptions): Promise<EnvReport>;
  /** Copies `srcRef` in `src` to `dstRef` in `dst`, skipping what `dst` has. */
  copy(
    src: Target,
    srcRef: string,
    dst: Target,
    dstRef: string,
    options?: CopyOptions,
  ): Promise<CopyResult>;
}
