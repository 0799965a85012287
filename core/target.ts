/**
 * The Target: a content-addressed store with tags. The local cache and a remote registry
 * repository both implement it, so push, pull and registry-to-registry copy are one routine.
 * @module
 */
import { CacheError, RegistryError } from "./errors.ts";
import type { Descriptor, Manifest } from "./oci/descriptor.ts";

/** Resolves a reference (a tag, a digest, or for the cache a full ref) to a manifest descriptor. */
export interface Resolver {
  /** Throws a `CacheError`/`RegistryError` naming the reference when it is unknown. */
  resolve(reference: string): Promise<Descriptor>;
}

/** Reads content by descriptor. */
export interface Fetcher {
  /** A stream of the content; it errors (never ends cleanly) when bytes do not match `desc`. */
  fetch(desc: Descriptor): Promise<ReadableStream<Uint8Array>>;
}

/** Blobs up to this size may be read whole (`BytesFetcher`): a chart's config and package are. */
export const wholeBlobSize = 1024 * 1024;

/**
 * Optional: read a small blob whole, verified, without a stream (a stream per chart-sized blob
 * costs more than its bytes). `copy` uses it when the source has it.
 */
export interface BytesFetcher {
  /**
   * The content `desc` points at, verified against it (size and digest); undefined when the
   * blob is larger than `wholeBlobSize` (then `fetch` streams it).
   */
  fetchBytes(desc: Descriptor): Promise<Uint8Array | undefined>;
}

/** Whether a target can read small blobs whole. */
export function isBytesFetcher(target: object): target is BytesFetcher {
  return typeof (target as Partial<BytesFetcher>).fetchBytes === "function";
}

/** Tells whether content is present. */
export interface Exister {
  /** Whether the content `desc` points at is stored. */
  exists(desc: Descriptor): Promise<boolean>;
}

/** How content handed to `push` or `stage` has been checked already. */
export interface PushOptions {
  /**
   * The content was checked against the descriptor already (a target's `fetch` of it, which fails
   * before it ends when the bytes do not match, or bytes read and verified whole): it is not hashed
   * a second time (`copy` sets this).
   */
  verified?: boolean;
}

/** Stores content; the stream must match `desc` or nothing is stored. */
export interface Pusher {
  /** Stores `content`, which must match `desc` (digest and size). */
  push(desc: Descriptor, content: ReadableStream<Uint8Array>, options?: PushOptions): Promise<void>;
}

/** How a tag is written. */
export interface TagOptions {
  /**
   * Called (at most once) when all that is left is waiting for the tag to be written together
   * with others (the cache's index.json takes the tags that queued up in one write): a caller
   * limiting how many transfers run at once can start the next one. The tag's promise still
   * resolves only once the tag is written.
   */
  queued?: () => void;
  /**
   * The manifest the descriptor names, as the caller read, verified and parsed it: a target that
   * reads the manifest to tag it (the cache notes the chart's name and version) uses this instead.
   */
  manifest?: Manifest;
}

/** Points a reference at a manifest already stored. */
export interface Tagger {
  /** Points `reference` at the manifest `desc`, replacing what it pointed at. */
  tag(desc: Descriptor, reference: string, options?: TagOptions): Promise<void>;
}

/** Lists the references a target holds (tags of a repository, or refs of the cache). */
export interface TagLister {
  /** Every reference, in the target's order; a registry's names that are not valid tags go to `onInvalid`. */
  tags(options?: { onInvalid?: (tag: string) => void }): AsyncIterable<string>;
}

/** Removes a manifest (and, for the cache, what only it needed). */
export interface Deleter {
  /** Deletes the manifest `desc` (every reference to it goes with it). */
  delete(desc: Descriptor): Promise<void>;
}

/**
 * Optional: keep content from being collected while an operation runs (the local cache, which
 * other processes may garbage-collect). `copy` holds its source and destination when they have it.
 */
export interface Holder {
  /** Holds until the returned handle is disposed. */
  hold(): Promise<AsyncDisposable>;
}

/** Whether a target can be held for the length of an operation. */
export function isHolder(target: object): target is Holder {
  return typeof (target as Partial<Holder>).hold === "function";
}

/** Optional: store content whose digest is not known yet (the local cache, for new packages). */
export interface Ingester {
  /** Stores `content`, hashing it on the way, and returns its descriptor. */
  ingest(content: ReadableStream<Uint8Array>, mediaType: string): Promise<Descriptor>;
}

/** A full target: what the cache and a registry repository both are. */
export interface Target extends Resolver, Fetcher, Exister, Pusher, Tagger, TagLister, Deleter {}

/**
 * Optional: push a manifest and point a reference at it in one step (a registry does both with one
 * PUT by tag). `copy` uses it when the destination has it.
 */
export interface ReferencePusher {
  /**
   * Stores the manifest `content` (matching `desc`) and points `reference` at it; with `verified`,
   * the bytes are not hashed again.
   */
  pushReference(
    desc: Descriptor,
    content: ReadableStream<Uint8Array>,
    reference: string,
    options?: PushOptions,
  ): Promise<void>;
}

/**
 * Optional: resolve a reference and read its manifest in one step (a registry answers a GET by
 * tag with the manifest). `copy` uses it when the source has it.
 */
export interface ReferenceFetcher {
  /** The manifest `reference` points at, verified: its descriptor and its bytes. */
  fetchReference(reference: string): Promise<{ desc: Descriptor; bytes: Uint8Array }>;
}

/** Whether a target can resolve and read a manifest in one step. */
export function isReferenceFetcher(target: object): target is ReferenceFetcher {
  return typeof (target as Partial<ReferenceFetcher>).fetchReference === "function";
}

/** Whether a target can push a manifest under a reference in one step. */
export function isReferencePusher(target: object): target is ReferencePusher {
  return typeof (target as Partial<ReferencePusher>).pushReference === "function";
}

/** A blob stored out of sight: `commit` puts it in place, `discard` drops it. */
export interface StagedBlob {
  /** Makes the blob visible under its digest. */
  commit(): Promise<void>;
  /** Drops the staged bytes. */
  discard(): Promise<void>;
}

/**
 * Optional: store blobs out of sight until every blob of a manifest has arrived, so a transfer that
 * fails halfway leaves nothing behind (the local cache does this). `copy` uses it when present.
 */
export interface Stager {
  /**
   * Stores `content`, which must match `desc`, without making it visible yet; content the target
   * holds already need not be stored again (the staged blob's `commit` may then do nothing).
   */
  stage(
    desc: Descriptor,
    content: ReadableStream<Uint8Array>,
    options?: PushOptions,
  ): Promise<StagedBlob>;
}

/** Whether a target can stage blobs. */
export function isStager(target: object): target is Stager {
  return typeof (target as Partial<Stager>).stage === "function";
}

/**
 * Optional: make a blob already in another repository of the same registry appear in this one
 * without uploading it (a cross-repository mount). Returns false when the registry declined.
 */
export interface Mounter {
  /** Mounts the blob `desc` from `fromRepository`; false when the registry declined. */
  mount(desc: Descriptor, fromRepository: string): Promise<boolean>;
}

/**
 * Optional: ask whether a blob is stored in the way that costs least when it is pushed if missing
 * (a registry repository can open the upload in the same request). `copy` asks its destination
 * this way when it has it.
 */
export interface Prober {
  /** Whether the blob `desc` is stored; when not, a `push` of it should follow. */
  probe(desc: Descriptor): Promise<boolean>;
}

/** Whether a target can ask about a blob it may push next. */
export function isProber(target: object): target is Prober {
  return typeof (target as Partial<Prober>).probe === "function";
}

/** Optional: where a target lives, so `copy` can offer a cross-repository mount. */
export interface Located {
  /** Registry host[:port]. */
  readonly registry: string;
  /** Repository path within that registry. */
  readonly repository: string;
}

/** Whether a target can mount blobs from another repository. */
export function isMounter(target: object): target is Mounter & Located {
  return typeof (target as Partial<Mounter>).mount === "function" &&
    typeof (target as Partial<Located>).registry === "string";
}

/** Whether a target says which registry repository it is. */
export function isLocated(target: object): target is Located {
  return typeof (target as Partial<Located>).registry === "string" &&
    typeof (target as Partial<Located>).repository === "string";
}

/** Optional: list the manifests that refer to a manifest, as the OCI 1.1 referrers API does. */
export interface ReferrersLister {
  /**
   * Descriptors of the manifests whose `subject` is `subject` (a digest), only those of
   * `artifactType` when given; undefined when the target has no referrers API.
   */
  referrers(subject: string, artifactType?: string): Promise<Descriptor[] | undefined>;
}

/** Whether a target can list referrers itself. */
export function isReferrersLister(target: object): target is ReferrersLister {
  return typeof (target as Partial<ReferrersLister>).referrers === "function";
}

/**
 * Whether an error says a tag, manifest or blob is not there: a registry's 404, or a layout's
 * `CacheError`. The one test h3 makes for "not found".
 */
export function isMissing(error: unknown): boolean {
  return (error instanceof RegistryError && error.status === 404) || error instanceof CacheError;
}

/**
 * The descriptor `reference` resolves to in `target`, or undefined when there is none (any other
 * failure is thrown). With `listed` (the target's tags, listed already), a tag not among them is
 * known to be missing without asking.
 */
export async function resolveIfPresent(
  target: Resolver,
  reference: string,
  listed?: ReadonlySet<string>,
): Promise<Descriptor | undefined> {
  if (listed && !reference.startsWith("sha256:") && !listed.has(reference)) return undefined;
  try {
    return await target.resolve(reference);
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

/**
 * Whether `reference` in `target` names the manifest `digest` already: the one rule for "up to
 * date" that push, pull, copy, mirror and referrers follow (nothing is written then).
 */
export async function isCurrent(
  target: Resolver,
  reference: string,
  digest: string,
  listed?: ReadonlySet<string>,
): Promise<boolean> {
  return (await resolveIfPresent(target, reference, listed))?.digest === digest;
}
