/**
 * h3 as a library: the chart workflow as functions over Targets, for `deno run` scripts (through
 * `mod.ts`) and plugin commands (as `ctx.h3`). Each function is the core routine the CLI command
 * uses, without the printing, with the same settings and credentials.
 * @module
 */
import { defaultAuthorizer } from "./credentials.ts";
import { type IndexEntry, openCache } from "./cache/layout.ts";
import { verifyCache, type VerifyReport } from "./cache/verify.ts";
import { listChartTags, type TagInfo } from "./chart/tags.ts";
import { tagChart, type TagResult } from "./chart/retag.ts";
import { type ShowPart, showReference, type ShowResult, type ShowSource } from "./chart/show.ts";
import type { VersionRequest } from "./chart/versions.ts";
import { RefError } from "./errors.ts";
import { openCopyEnd, planCopies } from "./copy_plan.ts";
import { mirror, type MirrorSummary } from "./mirror.ts";
import { listReferrers, type Referrer, type ReferrersOptions } from "./referrers.ts";
import { signManifest, type SignResult } from "./sign/cosign.ts";
import { type PasswordSource, readPrivateKey } from "./sign/keys.ts";
import { checkTrust, readKeyrings, readKeys, type TrustResult } from "./sign/trust.ts";
import { SignatureError } from "./errors.ts";
import { exportChart as exportCached, type ExportResult } from "./chart/export.ts";
import { saveChart, type SaveOptions, type SaveResult } from "./chart/save.ts";
import { transportSettings } from "./config.ts";
import { parseReference, type Reference } from "./ref.ts";
import { resolveCachedReference, resolveReference } from "./chart/versions.ts";
import {
  type ChartTransfer,
  type ChartTransferOptions,
  pullChart,
  pushChart,
} from "./chart/transfer.ts";
import type { TransportOptions } from "./transport/options.ts";
import { openRepository as openTransport, type Repository } from "./transport/repository.ts";

export { copy, type CopyEvent, type CopyOptions, type CopyResult } from "./copy.ts";
export { type IndexEntry, OciLayout, openCache } from "./cache/layout.ts";
export type { Repository } from "./transport/repository.ts";
export type { TransportOptions } from "./transport/options.ts";
export type { ChartTransfer, ChartTransferOptions } from "./chart/transfer.ts";
export type { ExportResult } from "./chart/export.ts";
export type { SaveOptions, SaveResult } from "./chart/save.ts";
export type { TagInfo } from "./chart/tags.ts";
export type { TagResult } from "./chart/retag.ts";
export type { MirrorSummary, TagCopy, TagCopyResult } from "./mirror.ts";
export type { ChartText, ShowPart, ShowResult, ShowSource } from "./chart/show.ts";
export type { VersionRequest } from "./chart/versions.ts";
export type { VerifyReport } from "./cache/verify.ts";
export type { SignResult, SimpleSigningClaim, VerifiedSignature } from "./sign/cosign.ts";
export type { PasswordSource, SigningKey } from "./sign/keys.ts";
export type { NamedKey, NamedKeyring, TrustRequirement, TrustResult } from "./sign/trust.ts";
export {
  archiveName,
  checkProvenance,
  provenanceMessage,
  type ProvenanceResult,
  signProvenance,
  verifyProvenance,
} from "./sign/provenance.ts";
export { readPrivateKey, readPublicKey } from "./sign/keys.ts";
export type { StaleTemp } from "./cache/_files.ts";
export {
  copyReferrers,
  listReferrers,
  type Referrer,
  type ReferrersCopyOptions,
  type ReferrersCopyResult,
  type ReferrersOptions,
  type ReferrerSource,
} from "./referrers.ts";

/**
 * Opens the registry repository `ref` names as a Target, with h3's settings for its host
 * (`config.yaml`, `H3_*` variables) and h3's credentials (plugins, then the Docker config);
 * `options` override them. Dispose it (`using`) to close its connections.
 */
export async function openRepository(
  ref: string | Reference,
  options: TransportOptions = {},
): Promise<Repository> {
  const parsed = typeof ref === "string" ? parseReference(ref) : ref;
  const settings = await transportSettings(parsed.registry);
  return openTransport(parsed, { ...settings, authorizer: defaultAuthorizer(), ...options });
}

/** Saves the chart directory `dir` into the local cache as `ref` (tag: the chart's version). */
export async function save(dir: string, ref: string, options?: SaveOptions): Promise<SaveResult> {
  return await saveChart(await openCache(), dir, ref, options);
}

/**
 * Pushes the cached chart `ref` to its registry; untagged, the repository's only cached tag or its
 * highest stable version (as `h3 chart push`).
 */
export async function push(
  ref: string,
  options: ChartTransferOptions & TransportOptions = {},
): Promise<ChartTransfer> {
  const cache = await openCache();
  const parsed = await resolveCachedReference(parseReference(ref), cache);
  using repository = await openRepository(parsed, options);
  return await pushChart(cache, repository, parsed, options);
}

/**
 * Pulls chart `ref` into the local cache; untagged, the highest stable version in the registry (as
 * `h3 chart pull`); a digest pins it.
 */
export async function pull(
  ref: string,
  options: ChartTransferOptions & TransportOptions = {},
): Promise<ChartTransfer> {
  const given = parseReference(ref);
  using repository = await openRepository(given, options);
  const parsed = await resolveReference(given, repository);
  return await pullChart(repository, await openCache(), parsed, options);
}

/** Every chart in the local cache: its full reference and manifest descriptor. */
export async function list(): Promise<IndexEntry[]> {
  return await (await openCache()).entries();
}

/** Writes the cached chart `ref` into `destination/<chart name>/`. */
export async function exportChart(ref: string, destination: string): Promise<ExportResult> {
  return await exportCached(await openCache(), ref, { destination });
}

/** Every tag of the registry repository `repo` and the chart it points at, newest SemVer first. */
export async function tags(repo: string, options: TransportOptions = {}): Promise<TagInfo[]> {
  using repository = await openRepository(repo, options);
  return await listChartTags(repository);
}

/**
 * Adds `newTags` to the chart `ref` (a tag or digest) names in its registry; nothing is uploaded
 * again: the manifest is read once and stored under each tag.
 */
export async function tag(
  ref: string,
  newTags: string[],
  options: TransportOptions = {},
): Promise<TagResult> {
  const parsed = parseReference(ref);
  if (!parsed.tag && !parsed.digest) throw new RefError(`${ref}: name the tag or digest to tag`);
  using repository = (await openRepository(parsed, options)).expectPush();
  return await tagChart(repository, parsed.digest ?? parsed.tag!, newTags, parsed.digest);
}

/**
 * What `helm show PART` shows of chart `ref`: read in the cache when it holds that tag or digest,
 * else in the registry (only the manifest, the config and, unless `part` is `chart`, the content
 * blob); with no tag, `options.version` (a range) and `options.devel` select as pull does.
 */
export async function show(
  ref: string,
  part: ShowPart = "all",
  options: VersionRequest & TransportOptions = {},
): Promise<ShowResult & { source: ShowSource }> {
  const opened: Repository[] = [];
  try {
    return await showReference(ref, part, await openCache(), async (parsed) => {
      const repository = await openRepository(parsed, options);
      opened.push(repository);
      return repository;
    }, options);
  } finally {
    for (const repository of opened) repository[Symbol.dispose]();
  }
}

/** How `copyCharts` runs. */
export interface CopyChartsOptions extends TransportOptions {
  /** Copy every tag of `src` (tags that are not charts are left out). */
  allTags?: boolean;
  /** Carry each chart's referrers (signatures, SBOMs, attestations) with it. */
  referrers?: boolean;
  /** Tags copied at once (default 4). */
  tagConcurrency?: number;
}

/**
 * `chart copy SRC DST`: charts from and to registry repositories, `oci:DIR[:REF]` layouts and
 * `oci-archive:FILE.tar[:REF]` archives (skopeo's syntax); one tag (or SRC's highest version), or
 * every tag with `allTags`. Failures are in the summary, not thrown; an archive destination is
 * written once something was copied or found up to date.
 */
export async function copyCharts(
  src: string,
  dst: string,
  options: CopyChartsOptions = {},
): Promise<MirrorSummary> {
  const opened: Repository[] = [];
  const open = async (ref: Reference) => {
    const repository = await openRepository(ref, options);
    opened.push(repository);
    return repository;
  };
  try {
    await using from = await openCopyEnd(src, true, open);
    await using to = await openCopyEnd(dst, false, async (ref) => (await open(ref)).expectPush());
    const allTags = options.allTags === true;
    const copies = await planCopies(from, to, allTags);
    const summary = await mirror(from.target, to.target, copies, {
      concurrency: options.tagConcurrency,
      skipNonCharts: allTags,
      referrers: options.referrers,
    });
    if (summary.copied + summary.skipped > 0) await to.commit();
    return summary;
  } finally {
    for (const repository of opened) repository[Symbol.dispose]();
  }
}

/** Checks the local cache (or only `refs`): every ref's manifest and blobs, re-hashed. Reads only. */
export async function verify(refs?: string[]): Promise<VerifyReport> {
  return await verifyCache(await openCache(), refs);
}

/**
 * What refers to the chart `ref` in its registry (signatures, SBOMs, attestations), nested: the
 * referrers API, else the referrers tag schema, and cosign's tags.
 */
export async function referrers(
  ref: string,
  options: ReferrersOptions & TransportOptions = {},
): Promise<Referrer[]> {
  const parsed = parseReference(ref);
  using repository = await openRepository(parsed, options);
  const resolved = await resolveReference(parsed, repository);
  const desc = await repository.resolve(resolved.digest ?? resolved.tag!);
  return await listReferrers(repository, desc.digest, options);
}

/** How `sign` finds its key. */
export interface SignOptions extends TransportOptions {
  /** A cosign private key file (encrypted cosign PEM, PKCS#8 or EC PEM). */
  key: string;
  /** The password of an encrypted key (default: `COSIGN_PASSWORD`). */
  password?: PasswordSource;
}

/**
 * Signs the chart `ref` in its registry as `cosign sign --key` does (simple-signing payload,
 * ECDSA P-256, stored under `sha256-<hex>.sig`).
 */
export async function sign(ref: string, options: SignOptions): Promise<SignResult> {
  const pem = await Deno.readTextFile(options.key);
  const password = options.password ?? (() => {
    const env = Deno.env.get("COSIGN_PASSWORD");
    if (env === undefined) {
      throw new SignatureError(`${options.key} is encrypted: set COSIGN_PASSWORD`);
    }
    return Promise.resolve(env);
  });
  const key = await readPrivateKey(pem, options.key, password);
  const parsed = parseReference(ref);
  using repository = (await openRepository(parsed, options)).expectPush();
  const resolved = await resolveReference(parsed, repository);
  const desc = await repository.resolve(resolved.digest ?? resolved.tag!);
  return await signManifest(repository, desc, `${parsed.registry}/${parsed.repository}`, key);
}

/** What `verifySignature` checks with: any one key or keyring vouching is enough. */
export interface VerifySignatureOptions extends TransportOptions {
  /** cosign public key files. */
  keys?: string[];
  /** PGP keyring files, for the chart's Helm provenance. */
  keyrings?: string[];
  /** Repositories whose signatures count too (a copy's source), `registry/repository`. */
  acceptReferences?: string[];
}

/**
 * Checks the chart `ref` in its registry: a cosign signature over its exact manifest digest, or
 * its Helm provenance; throws a `SignatureError` when it is missing, altered, by another key or
 * for another chart.
 */
export async function verifySignature(
  ref: string,
  options: VerifySignatureOptions,
): Promise<TrustResult> {
  const parsed = parseReference(ref);
  using repository = await openRepository(parsed, options);
  const resolved = await resolveReference(parsed, repository);
  const desc = await repository.resolve(resolved.digest ?? resolved.tag!);
  const requirement = {
    keys: await readKeys(options.keys ?? []),
    keyrings: await readKeyrings(options.keyrings ?? []),
    acceptReferences: options.acceptReferences,
  };
  return await checkTrust(
    repository,
    desc,
    `${parsed.registry}/${parsed.repository}`,
    requirement,
    ref,
  );
}
