/**
 * Registry-to-registry copy of charts, one tag or a whole repository: each tag checked as a chart
 * and copied with `copy` (blobs the destination has are skipped; same-registry blobs mounted),
 * a tag already pointing at the same manifest skipped without reading it, tags `concurrency` at
 * a time. The local cache is never involved.
 * @module
 */
import {
  type CopyEvent,
  fetchManifestBytes,
  type ManifestBytes,
  parseManifest,
  putManifest,
} from "./copy.ts";
import { DigestError } from "./errors.ts";
import { notAChart } from "./chart/tags.ts";
import { decodeManifest, type Descriptor, type Manifest } from "./oci/descriptor.ts";
import { copyReferrers, listReferrers, type ReferrersCopyResult } from "./referrers.ts";
import { isCurrent, isMissing, resolveIfPresent, type Target } from "./target.ts";
import { transfer } from "./chart/transfer.ts";
import { eachInSlots } from "./slots.ts";

/** One tag to copy: from `source` in the source to `destination` in the destination. */
export interface TagCopy {
  /** A tag or digest in the source. */
  source: string;
  /** The tag (or digest) to write in the destination. */
  destination: string;
  /** A digest pin: the source manifest must have this digest. */
  expectDigest?: string;
}

/** What happened to one tag. */
export type TagCopyResult =
  | {
    status: "copied";
    copy: TagCopy;
    desc: Descriptor;
    name: string;
    version: string;
    /** Blobs transferred or mounted. */
    blobs: Descriptor[];
    /** With `referrers`: what was carried along. */
    referrers?: ReferrersCopyResult;
  }
  | { status: "skipped"; copy: TagCopy; desc: Descriptor; referrers?: ReferrersCopyResult }
  /** Another tag of a manifest copied (or found) for an earlier tag: only its tag was written. */
  | { status: "tagged"; copy: TagCopy; desc: Descriptor }
  | { status: "not-chart"; copy: TagCopy; reason: string }
  | { status: "failed"; copy: TagCopy; error: unknown };

/** How a copy runs. */
export interface MirrorOptions {
  /** Tags copied at once (default 4). */
  concurrency?: number;
  /** Carry each chart's referrers (signatures, SBOMs, attestations), nested, with it. */
  referrers?: boolean;
  /** Checks each source manifest (its signature) before its blobs move; a refusal fails the tag. */
  verify?: (desc: Descriptor, manifest: Manifest) => Promise<unknown>;
  /** Leave out (`not-chart`) manifests that are not Helm charts instead of failing on them. */
  skipNonCharts?: boolean;
  /** Blob events of one tag, for progress bars. */
  onEvent?: (copy: TagCopy, event: CopyEvent) => void;
  /** Called as each tag is done. */
  onResult?: (result: TagCopyResult) => void;
}

/** Totals of a copy. */
export interface MirrorSummary {
  /** What happened to each tag, in the order given. */
  results: TagCopyResult[];
  /** Tags copied. */
  copied: number;
  /** Tags pointed at a manifest copied for another tag, nothing uploaded. */
  tagged: number;
  /** Tags the destination had already. */
  skipped: number;
  /** Tags left out as not Helm charts. */
  notCharts: number;
  /** Tags that failed. */
  failed: number;
  /** Blobs transferred or mounted (for charts and referrers), and their bytes. */
  blobs: number;
  /** The bytes of those blobs. */
  bytes: number;
  /** With `referrers`: referrers copied, and those the destination had. */
  referrers: { copied: number; skipped: number };
}

/** How one tag is copied. */
export interface TagCopyOptions {
  /** Blob events, for progress. */
  onEvent?: (event: CopyEvent) => void;
  /** Carry the chart's referrers too. */
  referrers?: boolean;
  /** Checks the source's manifest (its signature) before any blob moves; throw to refuse. */
  verify?: (desc: Descriptor, manifest: Manifest) => Promise<unknown>;
  /** The manifest the source reference resolves to, when the caller has read it already. */
  source?: ManifestBytes;
  /** The destination's tags, when listed already: a tag not among them is not asked about. */
  destinationTags?: ReadonlySet<string>;
  /**
   * Hears when all that is left is waiting for the tag to be written with others (a destination
   * that batches its tags: an OCI layout; see `CopyOptions.onQueued`). Not with `referrers`,
   * which still has work to do after the tag.
   */
  onQueued?: () => void;
}

/** Copies one tag's chart from `src` to `dst`; throws on failure (a non-chart is a ChartError). */
export async function copyTag(
  src: Target,
  dst: Target,
  copy: TagCopy,
  options: TagCopyOptions = {},
): Promise<TagCopyResult> {
  const { onEvent } = options;
  const [source, to] = await Promise.all([
    options.source ?? fetchManifestBytes(src, copy.source),
    resolveIfPresent(dst, copy.destination, options.destinationTags),
  ]);
  const from = source.desc;
  const carry = async (desc: Descriptor) => {
    if (!options.referrers) return undefined;
    const found = await listReferrers(src, desc.digest);
    return await copyReferrers(src, dst, desc.digest, found, { onEvent });
  };
  const pinned = !copy.expectDigest || copy.expectDigest === from.digest;
  if (pinned && to?.digest === from.digest) {
    // Up to date, but still checked: tags that share this manifest are tagged from it.
    if (options.verify) {
      await options.verify(from, (await parseManifest(src, from, source.bytes)).manifest);
    }
    return { status: "skipped", copy, desc: from, referrers: await carry(from) };
  }
  const result = await transfer(src, copy.source, dst, copy.destination, copy.source, {
    onEvent,
    expectDigest: copy.expectDigest,
    verify: options.verify,
    onQueued: options.referrers ? undefined : options.onQueued,
    manifest: source,
  });
  return {
    status: "copied",
    copy,
    desc: result.desc,
    name: result.meta.name,
    version: result.meta.version,
    blobs: result.copied,
    referrers: await carry(result.desc),
  };
}

/**
 * Points `alias` in `dst` at `desc`, a manifest already there (its `bytes` and `blobs`): skipped
 * when it does already. `queued` hears when the tag waits to be written with others.
 */
async function tagAlias(
  dst: Target,
  alias: TagCopy,
  manifest: { desc: Descriptor; bytes: Uint8Array; blobs: Descriptor[] },
  destinationTags: ReadonlySet<string> | undefined,
  queued: () => void,
): Promise<TagCopyResult> {
  const { desc } = manifest;
  if (alias.expectDigest && alias.expectDigest !== desc.digest) {
    throw new DigestError(
      `manifest digest is ${desc.digest}, not the pinned ${alias.expectDigest}`,
    );
  }
  if (await isCurrent(dst, alias.destination, desc.digest, destinationTags)) {
    return { status: "skipped", copy: alias, desc };
  }
  await putManifest(dst, desc, manifest.bytes, alias.destination, manifest.blobs, {
    queued,
    likelyStored: true,
  });
  return { status: "tagged", copy: alias, desc };
}

/**
 * The destination's tags, listed once for a copy of several: each tag it lacks then costs no
 * request to ask about (a repository not there yet has none). Undefined when they cannot be
 * listed: each tag is asked about.
 */
async function listedTags(dst: Target): Promise<Set<string> | undefined> {
  try {
    return new Set(await Array.fromAsync(dst.tags()));
  } catch (error) {
    return isMissing(error) ? new Set() : undefined;
  }
}

/**
 * Copies each of `copies` from `src` to `dst`, failures recorded rather than thrown. Tags naming
 * the same source manifest (aliases) are copied once: the first, then the others are tagged once
 * it exists, so no two PUTs of one manifest race (registry:2 refuses some such). Into an OCI
 * layout, a tag whose tag write is all that is left lets the next tag start (the layout writes
 * the tags that wait in one rewrite of its index.json).
 */
export async function mirror(
  src: Target,
  dst: Target,
  copies: TagCopy[],
  options: MirrorOptions = {},
): Promise<MirrorSummary> {
  const concurrency = options.concurrency ?? 4;
  const done = new Map<TagCopy, TagCopyResult>();
  const record = (result: TagCopyResult) => {
    done.set(result.copy, result);
    options.onResult?.(result);
  };
  const failure = (copy: TagCopy, error: unknown): TagCopyResult =>
    options.skipNonCharts && notAChart(error)
      ? { status: "not-chart", copy, reason: (error as Error).message }
      : { status: "failed", copy, error };
  const destinationTags = copies.length > 1 ? await listedTags(dst) : undefined;
  // Each tag's manifest, read once (a GET by tag from a registry: what a HEAD would cost, and the
  // copy need not read it again); the bytes are kept once per manifest, until it is copied. Each
  // piece of work starts when a slot is free (see `eachInSlots`): 10,000 tags are not 10,000
  // closures and promises made up front. One tag alone has no aliases to find: `copyTag` reads
  // its manifest while it asks the destination.
  const single = copies.length === 1;
  const resolved = new Map<TagCopy, Descriptor>();
  const manifests = new Map<string, Uint8Array>();
  await eachInSlots(single ? 0 : copies.length, concurrency, async (i) => {
    const copy = copies[i];
    try {
      const { desc, bytes } = await fetchManifestBytes(src, copy.source);
      resolved.set(copy, desc);
      if (!manifests.has(desc.digest)) manifests.set(desc.digest, bytes);
    } catch (error) {
      record(failure(copy, error));
    }
  });
  // The tags of each manifest, in the order of `copies`: the first is copied, the others tagged.
  const sameManifest = new Map<string, TagCopy[]>();
  for (const copy of copies) {
    const digest = resolved.get(copy)?.digest;
    if (digest === undefined) continue;
    const group = sameManifest.get(digest);
    if (group) group.push(copy);
    else sameManifest.set(digest, [copy]);
  }
  const groups = single ? [copies] : [...sameManifest.values()];
  sameManifest.clear();
  /** The manifest read for `copy`'s source, let go once taken (its copy is the only reader). */
  const readFor = (copy: TagCopy): ManifestBytes | undefined => {
    const desc = resolved.get(copy);
    const bytes = desc && manifests.get(desc.digest);
    if (!desc || !bytes) return undefined;
    manifests.delete(desc.digest);
    return { desc, bytes };
  };
  /** Copies a manifest's first tag, then hands its other tags (aliases) to `tags`. */
  const copyFirst = async ([first, ...aliases]: TagCopy[], release: () => void) => {
    let left = aliases.length; // not handed to `tags` yet: slots are waiting for them
    try {
      const onEvent = options.onEvent && ((event: CopyEvent) => options.onEvent!(first, event));
      const result = await copyTag(src, dst, first, {
        onEvent,
        referrers: options.referrers,
        verify: options.verify,
        source: readFor(first),
        destinationTags,
        onQueued: release,
      }).catch((error) => failure(first, error));
      record(result);
      if (!aliases.length) return;
      if (result.status !== "copied" && result.status !== "skipped") {
        for (const alias of aliases) record({ ...result, copy: alias });
        return;
      }
      release(); // the manifest is read again outside the slots, as a copy's aliases always were
      let stored: AliasTag["stored"];
      try {
        const { desc, bytes } = await fetchManifestBytes(dst, result.desc.digest);
        const manifest = decodeManifest(bytes, desc.mediaType);
        stored = { desc, bytes, blobs: [manifest.config, ...manifest.layers] };
      } catch (error) {
        for (const alias of aliases) record(failure(alias, error));
        return;
      }
      tags.add(aliases.map((alias) => ({ alias, stored })));
      left = 0;
    } finally {
      tags.done(left); // recorded already (or the copy threw): their slots have nothing to do
    }
  };
  // A slot takes the next chart to copy; once every chart has started, the next alias to tag
  // (queued as its chart was copied: the order the tags always had).
  const tags = aliasQueue();
  let next = 0;
  await eachInSlots(single ? 1 : resolved.size, concurrency, async (_, release) => {
    if (next < groups.length) return await copyFirst(groups[next++], release);
    let alias = tags.take();
    if (alias === undefined) alias = await tags.wait();
    if (alias === null) return; // an alias recorded already (its chart failed)
    record(
      await tagAlias(dst, alias.alias, alias.stored, destinationTags, release).catch((error) =>
        failure(alias!.alias, error)
      ),
    );
  });
  const results = copies.map((copy) => done.get(copy)!);
  const count = (status: TagCopyResult["status"]) =>
    results.filter((r) => r.status === status).length;
  const carried = results.flatMap((r) =>
    (r.status === "copied" || r.status === "skipped") && r.referrers ? [r.referrers] : []
  );
  const blobs = [
    ...results.flatMap((r) => r.status === "copied" ? r.blobs : []),
    ...carried.flatMap((c) => c.blobs),
  ];
  return {
    results,
    copied: count("copied"),
    tagged: count("tagged"),
    skipped: count("skipped"),
    notCharts: count("not-chart"),
    failed: count("failed"),
    blobs: blobs.length,
    bytes: blobs.reduce((sum, b) => sum + b.size, 0),
    referrers: {
      copied: carried.reduce((n, c) => n + c.copied.length, 0),
      skipped: carried.reduce((n, c) => n + c.skipped.length, 0),
    },
  };
}

/** An alias to tag, with the stored manifest it points at. */
interface AliasTag {
  alias: TagCopy;
  stored: { desc: Descriptor; bytes: Uint8Array; blobs: Descriptor[] };
}

/**
 * The aliases waiting to be tagged in `mirror`: `take` gives the next one at once (undefined when
 * none waits), `wait` the next one to come, or null for each alias `done` (recorded already).
 */
function aliasQueue() {
  const ready: (AliasTag | null)[] = [];
  let head = 0;
  const waiting: ((tag: AliasTag | null) => void)[] = [];
  const put = (tag: AliasTag | null) => {
    const waiter = waiting.shift();
    if (waiter) waiter(tag);
    else ready.push(tag);
  };
  return {
    take(): AliasTag | null | undefined {
      if (head === ready.length) return undefined;
      const tag = ready[head];
      ready[head++] = null;
      if (head === ready.length) ready.length = head = 0;
      return tag;
    },
    wait(): Promise<AliasTag | null> {
      return new Promise((resolve) => waiting.push(resolve));
    },
    add(tags: AliasTag[]): void {
      for (const tag of tags) put(tag);
    },
    done(count: number): void {
      for (let i = 0; i < count; i++) put(null);
    },
  };
}
