/**
 * The one transfer routine: copy a manifest and the blobs it references from one Target to
 * another, skipping what the destination has. Push, pull and mirror are all this.
 * @module
 */
import pLimit from "p-limit";
import { readSmall, streamOf } from "./digest.ts";
import { DigestError, RegistryError } from "./errors.ts";
import {
  decodeManifest,
  type Descriptor,
  type Manifest,
  maxManifestSize,
} from "./oci/descriptor.ts";
import { chartCandidates, decodeIndex, noChartInIndex } from "./oci/index.ts";
import { helmConfig } from "./oci/media_types.ts";
import {
  type BytesFetcher,
  isBytesFetcher,
  isCurrent,
  isHolder,
  isLocated,
  isMounter,
  isProber,
  isReferenceFetcher,
  isReferencePusher,
  isStager,
  type StagedBlob,
  type TagOptions,
  type Target,
  wholeBlobSize,
} from "./target.ts";

/** Which part of a chart a blob is. */
export type BlobRole = "config" | "layer";

/** Something that happened to one blob during a copy, for progress and printing. */
export type CopyEvent =
  | { kind: "skip"; role: BlobRole; desc: Descriptor }
  | { kind: "start"; role: BlobRole; desc: Descriptor }
  | { kind: "progress"; role: BlobRole; desc: Descriptor; transferred: number }
  | { kind: "done"; role: BlobRole; desc: Descriptor; mounted: boolean };

/** How a copy runs. */
export interface CopyOptions {
  /** Blobs transferred at once (default 4). */
  concurrency?: number;
  /** Called for each blob event, in order per blob. */
  onEvent?: (event: CopyEvent) => void;
  /** Checked before any blob moves; throw to refuse the manifest (e.g. "not a Helm chart"). */
  validate?: (manifest: Manifest, desc: Descriptor) => void | Promise<void>;
  /** When set, the manifest must have this digest (a digest pin). */
  expectDigest?: string;
  /**
   * The manifest `srcRef` resolves to in `src`, read and verified already (`fetchManifestBytes`):
   * it is not read again.
   */
  manifest?: ManifestBytes;
  /**
   * Blobs already read from `src` and verified (e.g. the config `validate` read), by digest: they
   * are copied from memory, not fetched again. Looked up when blobs move, after `validate`.
   */
  fetched?: ReadonlyMap<string, Uint8Array>;
  /**
   * Called when all that is left of the copy is waiting for its reference to be written together
   * with others (a destination that writes tags in batches, as the cache does): a caller running
   * many copies a few at a time can start the next one. The copy still ends only once the
   * reference is written.
   */
  onQueued?: () => void;
  /**
   * Called when the copy waits for another copy in this process of the same manifest into the same
   * destination to put blobs and manifest in place (see `takeTurn`): a caller running many copies
   * a few at a time can start the next one meanwhile. The copy goes on after its wait (it finds
   * what the other one stored, or moves it itself if that one failed), and may still call
   * `onQueued`.
   */
  onWaiting?: () => void;
}

/** What a copy did. */
export interface CopyResult {
  /** The manifest's descriptor, as the source resolved it. */
  desc: Descriptor;
  /** The manifest itself. */
  manifest: Manifest;
  /** True when the destination reference already pointed at this manifest. */
  upToDate: boolean;
  /** Blobs that were transferred (or mounted). */
  copied: Descriptor[];
  /** Blobs the destination had already. */
  skipped: Descriptor[];
}

/** A manifest's descriptor and its exact bytes, verified against it. */
export interface ManifestBytes {
  /** The manifest's descriptor. */
  desc: Descriptor;
  /** Its bytes. */
  bytes: Uint8Array;
}

/** Refuses a manifest whose digest is not the pinned one (when there is a pin). */
function checkPin(desc: Descriptor, expectDigest: string | undefined): void {
  if (expectDigest && desc.digest !== expectDigest) {
    throw new DigestError(`manifest digest is ${desc.digest}, not the pinned ${expectDigest}`);
  }
}

/**
 * Reads the manifest `reference` resolves to in `src`, verified against its digest, without
 * parsing it; with `expectDigest` (a digest pin) a manifest with another digest is refused before
 * it is read.
 */
export async function fetchManifestBytes(
  src: Target,
  reference: string,
  expectDigest?: string,
): Promise<ManifestBytes> {
  if (isReferenceFetcher(src)) {
    const fetched = await src.fetchReference(reference);
    checkPin(fetched.desc, expectDigest);
    return fetched;
  }
  const desc = await src.resolve(reference);
  checkPin(desc, expectDigest);
  return { desc, bytes: await readManifest(src, desc) };
}

/** Reads the manifest `desc` names from `src`, refusing one over the size limit unread. */
async function readManifest(src: Target, desc: Descriptor): Promise<Uint8Array> {
  if (desc.size > maxManifestSize) {
    throw new DigestError(
      `manifest ${desc.digest} is ${desc.size} bytes, over the ${maxManifestSize} bytes allowed`,
    );
  }
  return await readSmall(src, desc, maxManifestSize);
}

/** A manifest read from a target: descriptor, parsed form and exact bytes. */
export interface FetchedManifest {
  desc: Descriptor;
  manifest: Manifest;
  bytes: Uint8Array;
  /** When `reference` named an image index: the index, whose chart manifest this is. */
  index?: Descriptor;
}

/**
 * Reads and parses the manifest `reference` resolves to in `src`, verified against its digest;
 * with `expectDigest` (a digest pin) a manifest with another digest is refused before it is read.
 * A reference to an image index gives the index's chart manifest (see `core/oci/index.ts`).
 */
export async function fetchManifest(
  src: Target,
  reference: string,
  expectDigest?: string,
): Promise<FetchedManifest> {
  const { desc, bytes } = await fetchManifestBytes(src, reference, expectDigest);
  return await parseManifest(src, desc, bytes);
}

/**
 * Parses manifest `bytes` (of `desc`, read from `src`); for an image index, the chart manifest it
 * lists is read from `src` and returned, with the index as `index`.
 */
export async function parseManifest(
  src: Target,
  desc: Descriptor,
  bytes: Uint8Array,
): Promise<FetchedManifest> {
  const index = decodeIndex(bytes, desc.mediaType);
  if (!index) return { desc, manifest: decodeManifest(bytes, desc.mediaType), bytes };
  for (const child of chartCandidates(index)) {
    const childBytes = await readManifest(src, child);
    const manifest = decodeManifest(childBytes, child.mediaType);
    if (manifest.config.mediaType === helmConfig) {
      const childDesc = { mediaType: child.mediaType, digest: child.digest, size: child.size };
      return { desc: childDesc, manifest, bytes: childBytes, index: desc };
    }
  }
  throw noChartInIndex(index);
}

/** Copies `srcRef` in `src` to `dstRef` in `dst`: blobs first, the manifest last. */
export async function copy(
  src: Target,
  srcRef: string,
  dst: Target,
  dstRef: string,
  options: CopyOptions = {},
): Promise<CopyResult> {
  await using _src = isHolder(src) ? await src.hold() : undefined;
  // The destination is held (a first hold of the cache makes its folders) while the manifest is
  // fetched: nothing of the destination is looked at before both are done.
  const holding = isHolder(dst) ? dst.hold() : Promise.resolve(undefined);
  holding.catch(() => {}); // a failed hold is thrown below, once the fetch is done
  const read = async () => {
    const given = options.manifest;
    if (!given) return await fetchManifest(src, srcRef, options.expectDigest);
    checkPin(given.desc, options.expectDigest);
    return await parseManifest(src, given.desc, given.bytes);
  };
  const fetched = await read().catch(async (error) => {
    await (await holding.catch(() => undefined))?.[Symbol.asyncDispose]();
    throw error;
  });
  await using _dst = await holding;
  const { desc, manifest, bytes } = fetched;
  using turn = await takeTurn(dst, desc.digest, options.onQueued, options.onWaiting);
  const blobs: [BlobRole, Descriptor][] = [
    ["config", manifest.config],
    ...manifest.layers.map((l): [BlobRole, Descriptor] => ["layer", l]),
  ];
  const copied: Descriptor[] = [];
  const skipped: Descriptor[] = [];
  const limit = pLimit(options.concurrency ?? 4);
  const mountFrom = isMounter(dst) && isLocated(src) && src.registry === dst.registry &&
      src.repository !== dst.repository
    ? src.repository
    : undefined;
  // After a copy of this manifest that stored it there, its blobs are there: nothing to ask.
  // Otherwise the destination is asked while the manifest is validated, unless it is asked by
  // probes (a probe may open an upload, which must wait for the manifest to pass): a HEAD or a
  // stat only reads. A chart's small layers it lacks are read from the source meanwhile too (kept
  // in memory until the manifest passes): a pull's package is not a request after its config's.
  const probing = !turn.ahead && mountFrom === undefined && isProber(dst);
  const asking = turn.ahead
    ? Promise.resolve(new Set(blobs.map(([, blob]) => blob.digest)))
    : probing
    ? undefined
    : present(dst, manifest, limit, false);
  asking?.catch(() => {}); // thrown where it is awaited, below
  const chart = manifest.config.mediaType === helmConfig;
  const early = chart && mountFrom === undefined && asking && isBytesFetcher(src)
    ? prefetch(src, manifest.layers, asking)
    : undefined;
  try {
    await options.validate?.(manifest, desc);
  } catch (error) {
    // nothing left running: what was asked or read meanwhile is let go
    await Promise.allSettled([asking, ...early?.values() ?? []]);
    throw error;
  }
  const there = await (asking ?? present(dst, manifest, limit, true));
  // A destination that stages gets every blob or none: a failure discards what had arrived.
  const staged: StagedBlob[] = [];
  const moved = await Promise.allSettled(blobs.map(([role, blob]) =>
    limit(async () => {
      if (there.has(blob.digest)) {
        skipped.push(blob);
        options.onEvent?.({ kind: "skip", role, desc: blob });
        return;
      }
      options.onEvent?.({ kind: "start", role, desc: blob });
      let mounted = false;
      if (mountFrom !== undefined && isMounter(dst)) mounted = await dst.mount(blob, mountFrom);
      if (!mounted) {
        const read = options.fetched?.get(blob.digest) ?? await early?.get(blob.digest) ??
          (isBytesFetcher(src) ? await src.fetchBytes(blob) : undefined);
        let content: ReadableStream<Uint8Array>;
        if (read) { // small: read whole and verified, one progress event
          options.onEvent?.({ kind: "progress", role, desc: blob, transferred: read.byteLength });
          content = streamOf(read);
        } else {
          content = (await src.fetch(blob)).pipeThrough(progress(role, blob, options.onEvent));
        }
        // src's fetch verifies as it streams: the destination need not hash it again.
        if (isStager(dst)) staged.push(await dst.stage(blob, content, { verified: true }));
        else await dst.push(blob, content, { verified: true });
      }
      copied.push(blob);
      options.onEvent?.({ kind: "done", role, desc: blob, mounted });
    })
  ));
  const failed = moved.find((result) => result.status === "rejected");
  if (failed) {
    await Promise.all(staged.map((blob) => blob.discard()));
    throw failed.reason;
  }
  for (const blob of staged) await blob.commit();

  // A manifest is stored only after its blobs: when one was missing, the reference cannot point at
  // this manifest yet, and the destination need not be asked (one request less per new chart); nor
  // when the copy waited for one that had to move them (the chart is new there, this tag too).
  const fresh = copied.length > 0 || turn.ahead?.copied === true;
  turn.stored = { copied: fresh };
  try {
    const upToDate = !fresh && await isCurrent(dst, dstRef, desc.digest);
    if (!upToDate) {
      const needs = blobs.map(([, blob]) => blob);
      await putManifest(dst, desc, bytes, dstRef, needs, {
        queued: turn.queued,
        manifest,
        likelyStored: copied.length === 0,
      });
    }
    return { desc, manifest, upToDate, copied, skipped };
  } catch (error) {
    turn.stored = undefined;
    throw error;
  }
}

/**
 * Reads from `src` the small layers (up to `wholeBlobSize`) the destination lacks, once `there`
 * says which it holds, each at once: by digest, a promise of its verified bytes (undefined when
 * it is larger than that after all). A failure is thrown where the bytes are awaited.
 */
function prefetch(
  src: BytesFetcher,
  layers: Descriptor[],
  there: Promise<Set<string>>,
): Map<string, Promise<Uint8Array | undefined>> {
  const early = new Map<string, Promise<Uint8Array | undefined>>();
  for (const layer of layers) {
    if (layer.size > wholeBlobSize || early.has(layer.digest)) continue;
    const read = there.then((held) => held.has(layer.digest) ? undefined : src.fetchBytes(layer));
    read.catch(() => {}); // awaited when the layer moves; unread when the manifest is refused
    early.set(layer.digest, read);
  }
  return early;
}

/** What a copy that stored a manifest tells the copies of it that waited: it moved blobs. */
interface Stored {
  copied: boolean;
}

/**
 * Copies under way in this process, by manifest digest: into a destination that stages, by the
 * destination; into a registry's repository, by its name (each ref opens its own).
 */
const underWay = new WeakMap<Target, Map<string, Promise<Stored | undefined>>>();
const underWayRemote = new Map<string, Promise<Stored | undefined>>();

/** Where copies of `digest` into `dst` meet, and under which key; none for other targets. */
function meetingPlace(
  dst: Target,
  digest: string,
): [Map<string, Promise<Stored | undefined>>, string] | undefined {
  if (isStager(dst)) {
    let copies = underWay.get(dst);
    if (!copies) underWay.set(dst, copies = new Map());
    return [copies, digest];
  }
  return isLocated(dst)
    ? [underWayRemote, `${dst.registry}/${dst.repository}@${digest}`]
    : undefined;
}

/** A copy's turn at a manifest (see `takeTurn`); disposing of it ends the turn. */
interface Turn extends Disposable {
  /** The copy's `onQueued` (if it has one), which also ends the turn. */
  queued?: () => void;
  /** What the copy this one waited for stored, when it stored the manifest (else undefined). */
  ahead?: Stored;
  /** Set by the copy once blobs are in place and while the manifest step has not failed. */
  stored?: Stored;
}

/**
 * One copy of a manifest at a time in this process into the same destination (the cache, a
 * layout, a registry's repository): a copy of a manifest that another copy is moving waits until
 * that one has its blobs and manifest in place (its tag queued, or its reference stored) or has
 * ended. When that one stored them, the waiting copy takes them as there and asks nothing about
 * them; when it failed, the waiting copy moves them itself. Without turns the tags of one chart
 * pulled together each fetched its config and blobs and wrote them (each write replacing a file),
 * and pushed together each uploaded the chart's blobs, and their manifest PUTs raced (registry:2
 * answers some DIGEST_INVALID). The turn is taken before the manifest is validated.
 * The copies waiting do not take turns among themselves, and the one they wait for waits for
 * none, so no copy waits for one that waits. `onWaiting` hears when the copy is to wait: its
 * caller may give its slot to the next copy, but not let go as `onQueued` does (were it counted as
 * queued, the tags queued after the last slot went would wait out a rest, see `TagOptions.queued`).
 */
async function takeTurn(
  dst: Target,
  digest: string,
  onQueued?: () => void,
  onWaiting?: () => void,
): Promise<Turn> {
  const place = meetingPlace(dst, digest);
  const waitFor = place?.[0].get(place[1]);
  const turn: Turn = { [Symbol.dispose]: () => {} };
  if (place && !waitFor) {
    const [copies, key] = place;
    const { promise, resolve } = Promise.withResolvers<Stored | undefined>();
    copies.set(key, promise);
    turn[Symbol.dispose] = () => {
      if (copies.get(key) === promise) copies.delete(key);
      resolve(turn.stored);
    };
  }
  // Once the tag is queued, blobs and manifest are in place: the copies waiting may go on.
  turn.queued = onQueued && (() => {
    turn[Symbol.dispose]();
    onQueued();
  });
  if (waitFor) {
    onWaiting?.();
    turn.ahead = await waitFor;
  }
  return turn;
}

/** A chart config up to this size is sent without asking first when the chart's layers are new. */
const unaskedConfigSize = 64 * 1024;

/**
 * The digests of the manifest's blobs that `dst` holds. Layers are asked first: when one is
 * missing the chart is new there, and its config (a few hundred bytes, as unique as the chart's
 * version) is sent without asking, since asking costs a request as the upload does (a new chart
 * is one request cheaper; an unchanged one is asked about every blob, so it is still seen as
 * already there). With `probe`, a destination that can ask in the same request that starts the
 * upload of a missing blob is asked that way (see `Prober`).
 */
async function present(
  dst: Target,
  manifest: Manifest,
  limit: ReturnType<typeof pLimit>,
  probe: boolean,
): Promise<Set<string>> {
  const there = new Set<string>();
  const prober = probe && isProber(dst) ? dst : undefined;
  const ask = (blob: Descriptor) =>
    limit(async () => {
      if (await (prober ? prober.probe(blob) : dst.exists(blob))) there.add(blob.digest);
    });
  await Promise.all(manifest.layers.map(ask));
  const newChart = manifest.layers.some((layer) => !there.has(layer.digest));
  // Only a chart's config is as unique as its version: artifacts (signatures, SBOMs) share theirs.
  const unique = manifest.config.mediaType === helmConfig;
  if (!newChart || !unique || manifest.config.size > unaskedConfigSize) await ask(manifest.config);
  return there;
}

/**
 * Stores manifest `bytes` (of `desc`, read from a target and verified against it) in `dst` under
 * `dstRef`, its `blobs` being there already. A stager is handed them without asking first, unless
 * the manifest is `likelyStored` (its blobs were all there: another tag of the chart, as the tags
 * of one chart pulled together are): then it is asked, and not written again when it holds it (a
 * write it need not make costs a temp file, a rename and the old file's removal, where a failed
 * look for a new chart's manifest costs a thrown NotFound). registry:2 may answer DIGEST_INVALID to
 * concurrent PUTs of the same manifest bytes (as when the tags of one chart are pushed at once):
 * such a PUT is tried again, up to 4 times in all, a moment later, while every blob checks out as
 * present.
 * `tagOptions` go to a destination that tags apart from storing (the cache).
 */
export async function putManifest(
  dst: Target,
  desc: Descriptor,
  bytes: Uint8Array,
  dstRef: string,
  blobs: Descriptor[],
  { likelyStored = false, ...tagOptions }: TagOptions & { likelyStored?: boolean } = {},
): Promise<void> {
  const verified = { verified: true }; // bytes read from a target, which verified them
  if (!isReferencePusher(dst)) {
    if (isStager(dst) && !likelyStored) {
      await (await dst.stage(desc, streamOf(bytes), verified)).commit();
    } else if (!(await dst.exists(desc))) {
      await dst.push(desc, ReadableStream.from([bytes]), verified);
    }
    await dst.tag(desc, dstRef, tagOptions);
    return;
  }
  for (let attempt = 1;; attempt++) {
    try {
      return await dst.pushReference(desc, ReadableStream.from([bytes]), dstRef, verified);
    } catch (error) {
      if (!(error instanceof RegistryError && error.code === "DIGEST_INVALID")) throw error;
      if (attempt === manifestAttempts) throw error;
      for (const blob of blobs) if (!(await dst.exists(blob))) throw error;
      // Apart, with some randomness: the other PUTs of these bytes are often ten tags of a chart.
      await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt * Math.random()));
    }
  }
}

/** PUTs of a manifest answered DIGEST_INVALID while its blobs are there: tried this many times. */
const manifestAttempts = 4;

/** A pass-through stream that reports the bytes of `desc` moved so far as `progress` events. */
export function progress(
  role: BlobRole,
  desc: Descriptor,
  onEvent: CopyOptions["onEvent"],
): TransformStream<Uint8Array, Uint8Array> {
  let transferred = 0;
  return new TransformStream({
    transform(chunk, controller) {
      transferred += chunk.byteLength;
      onEvent?.({ kind: "progress", role, desc, transferred });
      controller.enqueue(chunk);
    },
  });
}
