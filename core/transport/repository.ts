/**
 * A repository in an OCI registry as a Target: what `copy` pushes to and pulls from. Blobs,
 * uploads, manifests and tags each live in their own module; this one only routes to them.
 * @module
 */
import { checked } from "../digest.ts";
import { RefError } from "../errors.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import { isManifest } from "../oci/media_types.ts";
import { parseReference, type Reference } from "../ref.ts";
import {
  type BytesFetcher,
  type Located,
  type Mounter,
  type Prober,
  type PushOptions,
  type ReferenceFetcher,
  type ReferencePusher,
  type ReferrersLister,
  type Target,
  wholeBlobSize,
} from "../target.ts";
import { blobExists, fetchBlob, fetchBlobBytes } from "./blobs.ts";
import { RegistryClient, scope } from "./client.ts";
import {
  fetchManifestByReference,
  fetchManifestBytes,
  manifestExists,
  putManifest,
  resolveManifest,
} from "./manifests.ts";
import type { TransportOptions } from "./options.ts";
import { fetchReferrers } from "./referrers.ts";
import { blobPath, manifestPath } from "./paths.ts";
import { listTags } from "./tags.ts";
import { noteUploaded, probeBlob } from "./probe.ts";
import { mountBlob, pushBlob } from "./uploads.ts";

/** One repository of a registry (`registry/repository`), usable as a Target. */
export class Repository
  implements
    Target,
    BytesFetcher,
    ReferenceFetcher,
    ReferencePusher,
    ReferrersLister,
    Mounter,
    Prober,
    Located,
    Disposable {
  /** Registry host[:port]. */
  readonly registry: string;
  /** Repository path within the registry. */
  readonly repository: string;
  /** The registry's client (shared by repositories opened through the same `Registries`). */
  readonly #client: RegistryClient;
  #owner?: Disposable;
  /** Upload sessions opened by declined mounts, by digest, for the push that follows. */
  #sessions = new Map<string, URL>();
  /** Digests `resolve` returned: manifests, whatever media type the registry gave them. */
  #resolved = new Set<string>();

  /**
   * A repository reached through `client`; `owner` (what this repository alone uses: its client,
   * or the set of clients that opened it) is disposed with it.
   */
  constructor(client: RegistryClient, repository: string, owner?: Disposable) {
    this.#client = client;
    this.registry = client.registry;
    this.repository = repository;
    this.#owner = owner;
  }

  /** Announces that this repository will be written to: one token with push access for all. */
  expectPush(): this {
    this.#client.willPush(this.repository);
    return this;
  }

  /** Resolves a tag or a digest to its manifest's descriptor. */
  async resolve(reference: string): Promise<Descriptor> {
    const desc = await resolveManifest(this.#client, this.repository, reference);
    this.#resolved.add(desc.digest);
    return desc;
  }

  /** Resolves a tag or digest and reads its manifest with one GET. */
  async fetchReference(reference: string): Promise<{ desc: Descriptor; bytes: Uint8Array }> {
    const fetched = await fetchManifestByReference(this.#client, this.repository, reference);
    this.#resolved.add(fetched.desc.digest);
    return fetched;
  }

  #isManifest(desc: Descriptor): boolean {
    return isManifest(desc.mediaType) || this.#resolved.has(desc.digest);
  }

  /** Streams a manifest or blob, verified against `desc` while it is read. */
  async fetch(desc: Descriptor): Promise<ReadableStream<Uint8Array>> {
    if (!this.#isManifest(desc)) return await fetchBlob(this.#client, this.repository, desc);
    return ReadableStream.from([await fetchManifestBytes(this.#client, this.repository, desc)]);
  }

  /** A blob up to `wholeBlobSize` read whole and verified; undefined for a larger one. */
  async fetchBytes(desc: Descriptor): Promise<Uint8Array | undefined> {
    if (desc.size > wholeBlobSize) return undefined;
    if (!this.#isManifest(desc)) return await fetchBlobBytes(this.#client, this.repository, desc);
    return await fetchManifestBytes(this.#client, this.repository, desc);
  }

  /** Whether the manifest or blob is in the repository. */
  exists(desc: Descriptor): Promise<boolean> {
    return this.#isManifest(desc)
      ? manifestExists(this.#client, this.repository, desc)
      : blobExists(this.#client, this.repository, desc);
  }

  /**
   * Whether the blob is in the repository, asked as cheaply as the registry allows when a push of
   * it follows: where the registry honours it, a mount from this repository, whose upload session
   * (when the blob is missing) the push then uses (see `probe.ts`); else a HEAD.
   */
  async probe(desc: Descriptor): Promise<boolean> {
    const answer = await probeBlob(this.#client, this.repository, desc);
    if (answer instanceof URL) this.#sessions.set(desc.digest, answer);
    return answer === true;
  }

  /** Uploads a blob, or stores a manifest by its digest. */
  async push(
    desc: Descriptor,
    content: ReadableStream<Uint8Array>,
    options: PushOptions = {},
  ): Promise<void> {
    if (isManifest(desc.mediaType)) {
      return await putManifest(this.#client, this.repository, desc, content, desc.digest, options);
    }
    const session = this.#sessions.get(desc.digest);
    this.#sessions.delete(desc.digest);
    await pushBlob(this.#client, this.repository, desc, checked(desc, content, options), session);
    noteUploaded(this.#client, this.repository, desc);
  }

  /** Stores a manifest under a tag in one PUT. */
  pushReference(
    desc: Descriptor,
    content: ReadableStream<Uint8Array>,
    reference: string,
    options: PushOptions = {},
  ): Promise<void> {
    return putManifest(this.#client, this.repository, desc, content, reference, options);
  }

  /** Points a tag at a manifest the repository holds (fetches it and PUTs it under the tag). */
  async tag(desc: Descriptor, reference: string): Promise<void> {
    const bytes = await fetchManifestBytes(this.#client, this.repository, desc); // verified
    await putManifest(this.#client, this.repository, desc, bytes, reference, { verified: true });
  }

  /** Every valid tag of the repository, page by page; invalid names go to `onInvalid`. */
  tags(options: { onInvalid?: (tag: string) => void } = {}): AsyncIterable<string> {
    return listTags(this.#client, this.repository, options);
  }

  /** What refers to the manifest `subject` (the referrers API); undefined when it has no API. */
  referrers(subject: string, artifactType?: string): Promise<Descriptor[] | undefined> {
    return fetchReferrers(this.#client, this.repository, subject, artifactType);
  }

  /** Deletes a manifest (with its tags) or a blob; registries may refuse (`UNSUPPORTED`). */
  async delete(desc: Descriptor): Promise<void> {
    const manifest = this.#isManifest(desc);
    await this.#client.call({
      method: "DELETE",
      url: manifest
        ? manifestPath(this.repository, desc.digest)
        : blobPath(this.repository, desc.digest),
      scopes: [scope(this.repository, "delete")],
      what: `deleting ${desc.digest} from ${this.repository}`,
    });
  }

  /** Mounts a blob from another repository of this registry; false when the registry declined. */
  async mount(desc: Descriptor, fromRepository: string): Promise<boolean> {
    const result = await mountBlob(this.#client, this.repository, desc, fromRepository);
    if (result instanceof URL) this.#sessions.set(desc.digest, result);
    return result === true;
  }

  /** Closes the client when this repository alone uses it (see `connectRepository`). */
  [Symbol.dispose](): void {
    this.#owner?.[Symbol.dispose]();
  }
}

function toReference(ref: Reference | string): Reference {
  const parsed = typeof ref === "string" ? parseReference(ref) : ref;
  if (!parsed.registry || !parsed.repository) {
    throw new RefError(`invalid reference "${ref}": needs a registry and a repository`);
  }
  return parsed;
}

/**
 * Clients for many registries in one run: one HTTP client (one connection pool, one authorizer)
 * per registry host, shared by every repository opened through it. Close it when done.
 */
export class Registries implements Disposable {
  #clients = new Map<string, RegistryClient>();
  #options: (registry: string) => TransportOptions;

  /** Options for every host, or a function giving each host's options (first use wins). */
  constructor(options: TransportOptions | ((registry: string) => TransportOptions) = {}) {
    this.#options = typeof options === "function" ? options : () => options;
  }

  /** The client for a registry host, created on first use. */
  client(registry: string): RegistryClient {
    let client = this.#clients.get(registry);
    if (!client) {
      client = new RegistryClient(registry, this.#options(registry));
      this.#clients.set(registry, client);
    }
    return client;
  }

  /**
   * The repository a reference names (its tag or digest is ignored here); `owner` is disposed
   * with it.
   */
  repository(ref: Reference | string, owner?: Disposable): Repository {
    const parsed = toReference(ref);
    return new Repository(this.client(parsed.registry), parsed.repository, owner);
  }

  /** Closes every client. */
  [Symbol.dispose](): void {
    for (const client of this.#clients.values()) client.close();
    this.#clients.clear();
  }
}

/**
 * Connects to the repository a reference names (`host/repo[:tag]`) with exactly `options` and a
 * client of its own: no config file, registries.conf or stored credentials (the library's
 * `openRepository` applies those). Dispose it (`using repo = connectRepository(...)`) to free
 * the connections.
 *
 * @example
 * ```ts
 * using repo = connectRepository("localhost:5000/myrepo/mychart");
 * const desc = await repo.resolve("latest");
 * ```
 */
export function connectRepository(
  ref: Reference | string,
  options: TransportOptions = {},
): Repository {
  const parsed = toReference(ref);
  const client = new RegistryClient(parsed.registry, options);
  return new Repository(client, parsed.repository, { [Symbol.dispose]: () => client.close() });
}
