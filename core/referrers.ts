/**
 * Referrers: the signatures, SBOMs and attestations that refer to a manifest. Found through the
 * OCI 1.1 referrers API where a target has it, else through the referrers tag schema (an image
 * index tagged `sha256-<hex>`), and always through cosign's tags (`sha256-<hex>.sig`, `.att`,
 * `.sbom`); nested referrers too. Copied with `copy` in the form the destination supports: a
 * manifest with `subject` that its referrers API indexes, else the tag schema updated beside it.
 * @module
 */
import { copy, type CopyEvent, fetchManifestBytes, putManifest } from "./copy.ts";
import { readAll } from "./digest.ts";
import { RegistryError } from "./errors.ts";
import {
  decodeManifest,
  type Descriptor,
  type Manifest,
  manifestDescriptor,
  maxManifestSize,
} from "./oci/descriptor.ts";
import { decodeIndex, encodeIndex, type ImageIndex } from "./oci/index.ts";
import { dockerManifestList, isManifest, ociIndex } from "./oci/media_types.ts";
import {
  isCurrent,
  isMissing,
  isReferenceFetcher,
  isReferencePusher,
  isReferrersLister,
  resolveIfPresent,
  type Target,
} from "./target.ts";

/** How a referrer was found. */
export type ReferrerSource = "api" | "tag-schema" | "cosign-tag";

/** A manifest that refers to another, with what refers to it in turn. */
export interface Referrer {
  /** The referrer's manifest descriptor; `artifactType` says what it is. */
  desc: Descriptor;
  /** The tag it is stored under, for cosign's tag form (`sha256-<hex>.sig`). */
  tag?: string;
  /** How it was found. */
  via: ReferrerSource;
  /** The referrers of this referrer. */
  referrers: Referrer[];
}

/** How referrers are looked for. */
export interface ReferrersOptions {
  /** Only top-level referrers of this artifact type (nested ones are all listed). */
  artifactType?: string;
  /** How deep to follow referrers of referrers (default 8; 1 = only direct referrers). */
  depth?: number;
}

/** cosign's tag suffixes: signatures, attestations, SBOMs. */
export const cosignSuffixes = [".sig", ".att", ".sbom"] as const;

/** At most this many referrers are followed for one subject, all levels together. */
export const maxReferrers = 1000;

const defaultDepth = 8;

/** The tag of the referrers tag schema for a digest: `sha256-<hex>` (cosign adds a suffix). */
export function referrersTag(digest: string): string {
  return digest.replace(":", "-");
}

/** Whether a tag is one referrers are stored under (tag schema or cosign's), not a chart's. */
export function isReferrerTag(tag: string): boolean {
  return /^sha256-[a-f0-9]{64}(\.(sig|att|sbom))?$/.test(tag);
}

/** The image index tagged `tag` in `target` (the tag schema), or undefined when there is none. */
async function readTaggedIndex(target: Target, tag: string): Promise<ImageIndex | undefined> {
  let bytes: Uint8Array;
  try {
    if (isReferenceFetcher(target)) bytes = (await target.fetchReference(tag)).bytes;
    else bytes = await readAll(await target.fetch(await target.resolve(tag)), maxManifestSize);
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
  const index = decodeIndex(bytes, ociIndex, maxReferrers);
  if (!index) throw new RegistryError(`tag ${tag} is not an image index (referrers tag schema)`, 0);
  return index;
}

/** What kind of artifact a manifest is: its artifactType, else its first layer's or config's type. */
export function artifactTypeOf(manifest: Manifest): string {
  return manifest.artifactType ?? manifest.layers[0]?.mediaType ?? manifest.config.mediaType;
}

/** Whether a descriptor names an image index (OCI or Docker's manifest list). */
function isIndex(desc: Descriptor): boolean {
  return desc.mediaType === ociIndex || desc.mediaType === dockerManifestList;
}

/**
 * What kind of artifact the manifest `desc` of `target` is (read from `target`): an image index's
 * artifactType, else its media type; a manifest's as `artifactTypeOf` says.
 */
async function artifactTypeAt(target: Target, desc: Descriptor): Promise<string> {
  const { desc: got, bytes } = await fetchManifestBytes(target, desc.digest, desc.digest);
  const index = decodeIndex(bytes, got.mediaType, maxReferrers);
  if (index) return index.artifactType ?? index.mediaType ?? ociIndex;
  return artifactTypeOf(decodeManifest(bytes, got.mediaType));
}

/** The direct referrers of `subject` (a digest): the API or tag schema, then cosign's tags. */
async function directReferrers(
  target: Target,
  subject: string,
  artifactType?: string,
): Promise<Referrer[]> {
  const listed = isReferrersLister(target)
    ? await target.referrers(subject, artifactType)
    : undefined;
  const found: Referrer[] = [];
  const add = (desc: Descriptor, via: ReferrerSource, tag?: string) => {
    if (found.some((r) => r.desc.digest === desc.digest)) return;
    if (artifactType && desc.artifactType !== artifactType) return;
    found.push({ desc, via, tag, referrers: [] });
  };
  if (listed) {
    for (const desc of listed) add(desc, "api");
  } else {
    const index = await readTaggedIndex(target, referrersTag(subject));
    for (const desc of index?.manifests ?? []) add(desc, "tag-schema");
  }
  for (const suffix of cosignSuffixes) {
    const tag = referrersTag(subject) + suffix;
    const desc = await resolveIfPresent(target, tag);
    if (!desc) continue;
    add({ ...desc, artifactType: await artifactTypeAt(target, desc) }, "cosign-tag", tag);
  }
  return found;
}

/**
 * Everything that refers to the manifest `subject` (a digest) in `target`, nested: signatures,
 * SBOMs, attestations and their own referrers, at most `maxReferrers` in all.
 */
export async function listReferrers(
  target: Target,
  subject: string,
  options: ReferrersOptions = {},
): Promise<Referrer[]> {
  let budget = maxReferrers;
  const seen = new Set<string>([subject]);
  const walk = async (digest: string, depth: number, type?: string): Promise<Referrer[]> => {
    const found = (await directReferrers(target, digest, type))
      .filter((r) => !seen.has(r.desc.digest));
    if (found.length > budget) {
      throw new RegistryError(
        `more than ${maxReferrers} referrers of ${subject}; refusing to follow them all`,
        0,
      );
    }
    budget -= found.length;
    for (const r of found) seen.add(r.desc.digest);
    if (depth > 1) {
      for (const r of found) r.referrers = await walk(r.desc.digest, depth - 1);
    }
    return found;
  };
  return await walk(subject, options.depth ?? defaultDepth, options.artifactType);
}

/** Every referrer in a tree, parents before their referrers. */
export function flattenReferrers(referrers: Referrer[]): Referrer[] {
  return referrers.flatMap((r) => [r, ...flattenReferrers(r.referrers)]);
}

/** What carrying referrers did. */
export interface ReferrersCopyResult {
  /** Referrers the destination did not have, now copied. */
  copied: Referrer[];
  /** Referrers the destination had already. */
  skipped: Referrer[];
  /** Blobs transferred (or mounted) for them. */
  blobs: Descriptor[];
}

/** How referrers are carried. */
export interface ReferrersCopyOptions {
  /** Blob events, for progress. */
  onEvent?: (event: CopyEvent) => void;
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
  options: ReferrersCopyOptions = {},
): Promise<ReferrersCopyResult> {
  const result: ReferrersCopyResult = { copied: [], skipped: [], blobs: [] };
  await carry(src, dst, subject, referrers, options, result);
  return result;
}

async function carry(
  src: Target,
  dst: Target,
  subject: string,
  referrers: Referrer[],
  options: ReferrersCopyOptions,
  result: ReferrersCopyResult,
): Promise<void> {
  const indexed: Descriptor[] = [];
  for (const referrer of referrers) {
    const { desc, tag } = referrer;
    if (!isManifest(desc.mediaType)) {
      throw new RegistryError(
        `referrer ${desc.digest} of ${subject} is a ${desc.mediaType}, which h3 cannot copy`,
        0,
      );
    }
    const reference = tag ?? desc.digest;
    const there = tag ? await isCurrent(dst, tag, desc.digest) : await dst.exists(desc);
    if (there) {
      result.skipped.push(referrer);
    } else {
      const budget = { manifests: maxIndexTree };
      const blobs = await copyTree(src, dst, reference, desc, options, budget, 1);
      result.copied.push(referrer);
      result.blobs.push(...blobs);
    }
    if (!tag) indexed.push(referrerDescriptor(desc));
    await carry(src, dst, desc.digest, referrer.referrers, options, result);
  }
  if (indexed.length) await indexInTagSchema(dst, subject, indexed);
}

/** At most this many manifests are copied under one referrer that is an image index. */
const maxIndexTree = 256;
/** Image indexes inside a referrer index are followed this deep. */
const maxIndexDepth = 4;

/**
 * Copies the manifest `desc` (`reference` in `src`) to the same reference in `dst`; an image index
 * (an SBOM or attestation per platform, say) with every manifest it lists first, then itself.
 * Returns the blobs transferred.
 */
async function copyTree(
  src: Target,
  dst: Target,
  reference: string,
  desc: Descriptor,
  options: ReferrersCopyOptions,
  budget: { manifests: number },
  depth: number,
): Promise<Descriptor[]> {
  if (--budget.manifests < 0) {
    throw new RegistryError(
      `referrer index ${desc.digest} lists over ${maxIndexTree} manifests; not copied`,
      0,
    );
  }
  if (!isIndex(desc)) {
    const copied = await copy(src, reference, dst, reference, {
      expectDigest: desc.digest,
      onEvent: options.onEvent,
    });
    return copied.copied;
  }
  const { desc: got, bytes } = await fetchManifestBytes(src, reference, desc.digest);
  const index = decodeIndex(bytes, got.mediaType, maxIndexTree);
  if (!index) throw new RegistryError(`referrer ${desc.digest} is not the image index it says`, 0);
  const blobs: Descriptor[] = [];
  for (const child of index.manifests) {
    if (!isManifest(child.mediaType) || (isIndex(child) && depth >= maxIndexDepth)) {
      throw new RegistryError(
        `referrer index ${desc.digest} lists a ${child.mediaType} h3 cannot copy` +
          (isIndex(child) ? ` (indexes nested over ${maxIndexDepth} deep)` : ""),
        0,
      );
    }
    blobs.push(...await copyTree(src, dst, child.digest, child, options, budget, depth + 1));
  }
  const typed = { ...got, mediaType: index.mediaType ?? desc.mediaType };
  await putManifest(dst, typed, bytes, reference, []);
  return blobs;
}

/** A descriptor as a referrers list holds it: media type, digest, size, artifactType, annotations. */
function referrerDescriptor(desc: Descriptor): Descriptor {
  const { mediaType, digest, size, artifactType, annotations } = desc;
  return { mediaType, digest, size, artifactType, annotations };
}

/**
 * Where `dst` has no referrers API, adds `descs` to the tag schema index of `subject` (only those
 * it lacks; nothing is written when it has them all). A registry with the API indexed them itself.
 */
async function indexInTagSchema(dst: Target, subject: string, descs: Descriptor[]) {
  if (isReferrersLister(dst) && (await dst.referrers(subject)) !== undefined) return;
  const tag = referrersTag(subject);
  const index: ImageIndex = (await readTaggedIndex(dst, tag)) ??
    { schemaVersion: 2, mediaType: ociIndex, manifests: [] };
  const missing = descs.filter((d) => !index.manifests.some((m) => m.digest === d.digest));
  if (!missing.length) return;
  const bytes = encodeIndex({ ...index, manifests: [...index.manifests, ...missing] });
  const desc = await manifestDescriptor(bytes, ociIndex);
  if (isReferencePusher(dst)) {
    await dst.pushReference(desc, ReadableStream.from([bytes]), tag);
  } else {
    await dst.push(desc, ReadableStream.from([bytes]));
    await dst.tag(desc, tag);
  }
}

/**
 * Stores an artifact manifest (with `subject`) as a referrer of `subject` in `target`: pushed by
 * digest and, where `target` has no referrers API, added to the subject's tag schema index.
 * Returns its descriptor as a referrers list holds it.
 */
export async function attachReferrer(
  target: Target,
  bytes: Uint8Array,
  artifactType: string,
  subject: string,
): Promise<Descriptor> {
  const desc = await manifestDescriptor(bytes);
  if (isReferencePusher(target)) {
    await target.pushReference(desc, ReadableStream.from([bytes]), desc.digest);
  } else {
    await target.push(desc, ReadableStream.from([bytes]));
  }
  const listed = { ...desc, artifactType };
  await indexInTagSchema(target, subject, [listed]);
  return listed;
}
