/**
 * Manifests in a registry repository: resolve a tag or digest with HEAD, GET with an Accept list
 * of OCI and Docker types (refusing more than 4 MiB before reading it whole, and checking the
 * digest), PUT by tag or digest with the manifest's own Content-Type, DELETE.
 * @module
 */
import { readAll } from "../digest.ts";
import { DigestError, RegistryError } from "../errors.ts";
import type { PushOptions } from "../target.ts";
import {
  checkSize,
  type Descriptor,
  digestOf,
  maxManifestSize,
  verifyBytes,
} from "../oci/descriptor.ts";
import { manifestMediaTypes, ociManifest } from "../oci/media_types.ts";
import { type RegistryClient, scope } from "./client.ts";
import { manifestPath } from "./paths.ts";

const accept = manifestMediaTypes.join(", ");
const digestPattern = /^sha256:[a-f0-9]{64}$/;

/** A manifest as messages name it: `host/repo:tag`, or `host/repo@sha256:...` for a digest. */
function manifestRef(client: RegistryClient, repository: string, reference: string): string {
  return `${client.registry}/${repository}${reference.includes(":") ? "@" : ":"}${reference}`;
}

function mediaTypeOf(response: Response): string {
  const type = response.headers.get("content-type")?.split(";")[0].trim();
  return type && type !== "application/json" && type !== "text/plain" ? type : ociManifest;
}

function tooLarge(name: string, size?: number): DigestError {
  return new DigestError(
    `${name}: manifest is ${size === undefined ? "" : `${size} bytes, `}over the ` +
      `${maxManifestSize} bytes allowed`,
  );
}

/** Refuses a manifest announced over the size limit, before any of it is read. */
function checkAnnouncedSize(response: Response, name: string): void {
  const length = Number(response.headers.get("content-length") ?? 0);
  if (length > maxManifestSize) throw tooLarge(name, length);
}

/** Refuses a response whose `Docker-Content-Digest` is not the digest asked for. */
function checkDigestHeader(response: Response, name: string, digest: string): void {
  const header = response.headers.get("docker-content-digest");
  if (header && header !== digest) {
    throw new DigestError(`${name}: the registry answered manifest ${header} instead`);
  }
}

/** The `not found` error for a manifest reference the registry does not know. */
function notFound(name: string): RegistryError {
  return new RegistryError(`${name}: not found`, 404, "MANIFEST_UNKNOWN");
}

/**
 * GETs a manifest, refusing one over the size limit before reading it whole. With `missing`, a 404
 * is the `notFound` error; otherwise it is the registry's own error, as for any failed request.
 */
async function getManifestBytes(
  client: RegistryClient,
  repository: string,
  reference: string,
  missing = false,
): Promise<{ response: Response; bytes: Uint8Array }> {
  const name = manifestRef(client, repository, reference);
  return await client.requestBytes(
    {
      method: "GET",
      url: manifestPath(repository, reference),
      headers: { accept },
      scopes: [scope(repository, "pull")],
      what: `fetching manifest ${name}`,
      accept: missing ? [404] : undefined,
    },
    maxManifestSize,
    (response) => {
      if (response.status === 404) throw notFound(name);
      checkAnnouncedSize(response, name);
    },
  ).catch((error) => {
    throw error instanceof DigestError && !error.message.includes(name) ? tooLarge(name) : error;
  });
}

/** The descriptor of manifest bytes a GET answered with (digest computed from the bytes). */
async function describeManifest(response: Response, bytes: Uint8Array): Promise<Descriptor> {
  return {
    mediaType: mediaTypeOf(response),
    digest: await digestOf(bytes),
    size: bytes.byteLength,
  };
}

/** Refuses a manifest asked for by digest (`reference`) whose bytes have another digest. */
function checkPinned(name: string, reference: string, desc: Descriptor): void {
  if (digestPattern.test(reference) && desc.digest !== reference) {
    throw new DigestError(`${name}: digest mismatch: expected ${reference}, got ${desc.digest}`);
  }
}

/**
 * Resolves a tag or digest to the manifest's descriptor with a HEAD; when the registry's HEAD
 * omits the digest or size, with a GET. An unknown reference is a `RegistryError` with status 404.
 */
export async function resolveManifest(
  client: RegistryClient,
  repository: string,
  reference: string,
): Promise<Descriptor> {
  const name = manifestRef(client, repository, reference);
  const response = await client.call({
    method: "HEAD",
    url: manifestPath(repository, reference),
    headers: { accept },
    scopes: [scope(repository, "pull")],
    what: `resolving ${name}`,
    accept: [404],
  });
  if (response.status === 404) throw notFound(name);
  checkAnnouncedSize(response, name);
  const pinned = digestPattern.test(reference) ? reference : undefined;
  if (pinned) checkDigestHeader(response, name, pinned);
  const digest = pinned ?? response.headers.get("docker-content-digest");
  const length = response.headers.get("content-length");
  if (digest && digestPattern.test(digest) && length !== null) {
    return { mediaType: mediaTypeOf(response), digest, size: Number(length) };
  }
  const got = await getManifestBytes(client, repository, reference);
  const desc = await describeManifest(got.response, got.bytes);
  checkPinned(name, reference, desc);
  return desc;
}

/**
 * Resolves and reads a manifest with one GET by tag or digest: its descriptor (digest computed
 * from the bytes, and checked against the registry's `Docker-Content-Digest` and a digest asked
 * for) and its bytes. An unknown reference is a `RegistryError` with status 404.
 */
export async function fetchManifestByReference(
  client: RegistryClient,
  repository: string,
  reference: string,
): Promise<{ desc: Descriptor; bytes: Uint8Array }> {
  const name = manifestRef(client, repository, reference);
  const { response, bytes } = await getManifestBytes(client, repository, reference, true);
  const desc = await describeManifest(response, bytes);
  const named = response.headers.get("docker-content-digest");
  if (named && named !== desc.digest) {
    throw new DigestError(
      `${name}: digest mismatch: the registry named ${named}, got ${desc.digest}`,
    );
  }
  checkPinned(name, reference, desc);
  return { desc, bytes };
}

/** Fetches a manifest by digest, checked against `desc`; returns its bytes. */
export async function fetchManifestBytes(
  client: RegistryClient,
  repository: string,
  desc: Descriptor,
): Promise<Uint8Array> {
  const { response, bytes } = await getManifestBytes(client, repository, desc.digest);
  checkDigestHeader(response, manifestRef(client, repository, desc.digest), desc.digest);
  await verifyBytes(desc, bytes);
  return bytes;
}

/** Whether the repository holds the manifest with this digest. */
export async function manifestExists(
  client: RegistryClient,
  repository: string,
  desc: Descriptor,
): Promise<boolean> {
  const response = await client.call({
    method: "HEAD",
    url: manifestPath(repository, desc.digest),
    headers: { accept },
    scopes: [scope(repository, "pull")],
    what: `checking manifest ${manifestRef(client, repository, desc.digest)}`,
    accept: [404],
  });
  return response.status !== 404;
}

/**
 * Stores a manifest under `reference` (a tag, or its digest), sent with `desc.mediaType` as its
 * Content-Type. The bytes are checked against `desc` first (but for their digest when `verified`),
 * and so is the digest the registry reports.
 */
export async function putManifest(
  client: RegistryClient,
  repository: string,
  desc: Descriptor,
  content: ReadableStream<Uint8Array> | Uint8Array,
  reference: string,
  options: PushOptions = {},
): Promise<void> {
  if (desc.size > maxManifestSize) {
    throw new DigestError(
      `manifest ${desc.digest} is ${desc.size} bytes, over the ${maxManifestSize} bytes allowed`,
    );
  }
  const bytes = content instanceof Uint8Array ? content : await readAll(content, maxManifestSize);
  if (options.verified) checkSize(desc, bytes);
  else await verifyBytes(desc, bytes);
  const response = await client.call({
    method: "PUT",
    url: manifestPath(repository, reference),
    headers: { "content-type": desc.mediaType },
    body: bytes,
    scopes: [scope(repository, "pull,push")],
    what: `pushing manifest ${manifestRef(client, repository, reference)}`,
  });
  checkDigestHeader(response, manifestRef(client, repository, reference), desc.digest);
}
