/**
 * Blob uploads: one POST with the blob for small ones where the registry takes it (else, and
 * for blobs up to 8 MiB, one POST then one PUT with the digest), PATCH chunks for large ones (following each `Location` and checking each `Range`), and cross-repository mounts.
 * Content is verified against its descriptor on the way; a mismatch never completes an upload.
 * @module
 */
import { readAll } from "../digest.ts";
import { AuthError, RegistryError } from "../errors.ts";
import { isMissing } from "../target.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import { blobExists } from "./blobs.ts";
import { type RegistryClient, scope } from "./client.ts";
import { uploadsPath } from "./paths.ts";
import { loadUploadState, saveUploadState } from "./upload_state.ts";

/** Blobs up to this size go in one PUT; larger ones in PATCH chunks of this size. */
const chunkSize = 8 * 1024 * 1024;

/**
 * The `Location` of an upload response, resolved against the URL the request went to. Only a
 * `/v2/` path on the registry itself is accepted (a registry behind a proxy may name itself
 * with the other scheme: its path is taken on the origin h3 talks to); any other place is refused,
 * so a registry cannot send h3's uploads elsewhere.
 */
function location(response: Response, base: URL, registry: string): URL {
  const value = response.headers.get("location");
  if (!value) {
    throw new RegistryError(
      `${registry}: answered an upload request without a Location`,
      response.status,
    );
  }
  let url: URL | undefined;
  try {
    url = new URL(value, base);
  } catch {
    url = undefined;
  }
  const here = url && ["http:", "https:"].includes(url.protocol) && url.host === base.host &&
    !url.username && !url.password && url.pathname.startsWith("/v2/");
  if (!url || !here) {
    throw new RegistryError(
      `${registry}: answered an upload request with Location ` +
        `${JSON.stringify(value.slice(0, 200))}, outside the registry; refused`,
      response.status,
    );
  }
  return new URL(url.pathname + url.search, base);
}

/** Starts an upload session; returns its URL. */
async function startUpload(client: RegistryClient, repository: string): Promise<URL> {
  const url = new URL(uploadsPath(repository), client.origin);
  const response = await client.call({
    method: "POST",
    url,
    scopes: [scope(repository, "pull,push")],
    what: `starting a blob upload to ${repository}`,
  });
  return location(response, url, client.registry);
}

/**
 * Blobs up to this size are offered in the POST itself (the OCI spec's single-request upload):
 * small enough that a registry which ignores the body and opens a session instead (registry:2)
 * costs nothing but the bytes, which a server reads and drops without closing the connection.
 */
const monolithicSize = 64 * 1024;

/** Registries (by client) that answered a single-request upload with a session: not tried again. */
const noMonolithic = new WeakSet<RegistryClient>();

/**
 * Offers a small blob in one POST with its digest. True when the registry stored it (201); else
 * the URL of the upload session it opened instead (202), where the blob is then PUT.
 */
async function postMonolithic(
  client: RegistryClient,
  repository: string,
  desc: Descriptor,
  body: Uint8Array,
): Promise<true | URL> {
  const url = new URL(uploadsPath(repository), client.origin);
  url.searchParams.set("digest", desc.digest);
  const response = await client.call({
    method: "POST",
    url,
    headers: { "content-type": "application/octet-stream" },
    body,
    scopes: [scope(repository, "pull,push")],
    what: `starting a blob upload to ${repository}`,
  });
  if (response.status === 201) return true;
  noMonolithic.add(client);
  return location(response, url, client.registry);
}

/**
 * Asks the registry to mount `desc` from another repository of the same registry (or from
 * `repository` itself, see `probe.ts`). Returns true
 * when mounted; otherwise the URL of the upload session the registry opened instead (if any),
 * which `pushBlob` can use. A refusal is not an error: the blob is then uploaded.
 */
export async function mountBlob(
  client: RegistryClient,
  repository: string,
  desc: Descriptor,
  fromRepository: string,
): Promise<true | URL | undefined> {
  const url = new URL(uploadsPath(repository), client.origin);
  url.searchParams.set("mount", desc.digest);
  url.searchParams.set("from", fromRepository);
  try {
    const scopes = [scope(repository, "pull,push")];
    if (fromRepository !== repository) scopes.push(scope(fromRepository, "pull"));
    const response = await client.call({
      method: "POST",
      url,
      scopes,
      what: `mounting blob ${desc.digest} from ${fromRepository} into ${repository}`,
    });
    if (response.status === 201) return true;
    return response.status === 202 ? location(response, url, client.registry) : undefined;
  } catch (error) {
    if (error instanceof RegistryError || error instanceof AuthError) return undefined;
    throw error;
  }
}

/** Splits a stream into chunks of exactly `size` bytes (the last may be shorter), `skip` bytes in. */
async function* chunks(
  stream: ReadableStream<Uint8Array>,
  size: number,
  skip = 0,
): AsyncGenerator<Uint8Array> {
  let buffer = new Uint8Array(size);
  let filled = 0;
  for await (let piece of stream) {
    if (skip) { // read (and so verified) but sent already
      const dropped = Math.min(skip, piece.byteLength);
      piece = piece.subarray(dropped);
      skip -= dropped;
    }
    while (piece.byteLength) {
      const take = Math.min(piece.byteLength, size - filled);
      buffer.set(piece.subarray(0, take), filled);
      filled += take;
      piece = piece.subarray(take);
      if (filled === size) {
        yield buffer;
        buffer = new Uint8Array(size);
        filled = 0;
      }
    }
  }
  if (filled) yield buffer.subarray(0, filled);
}

/**
 * Uploads a blob whose descriptor is known, in the upload session `opened` (by a declined mount)
 * or a new one. `content` must fail before its end when it does not match `desc` (see `checked`);
 * then the upload session is cancelled, so the registry never stores it.
 */
export async function pushBlob(
  client: RegistryClient,
  repository: string,
  desc: Descriptor,
  content: ReadableStream<Uint8Array>,
  opened?: URL,
): Promise<void> {
  const what = `uploading blob ${desc.digest} to ${repository}`;
  const scopes = [scope(repository, "pull,push")];
  if (!opened && desc.size <= monolithicSize && !noMonolithic.has(client)) {
    // The content is read (and checked) before anything is sent.
    const body = await readAll(content, monolithicSize);
    const stored = await postMonolithic(client, repository, desc, body);
    if (stored === true) return;
    content = ReadableStream.from([body]);
    opened = stored;
  }
  let session = opened ?? await startUpload(client, repository);
  const finish = async (body?: Uint8Array) => {
    const url = new URL(session);
    url.searchParams.set("digest", desc.digest);
    try {
      await client.call({
        method: "PUT",
        url,
        headers: { "content-type": "application/octet-stream" },
        body: body ?? new Uint8Array(),
        scopes,
        what,
      });
    } catch (error) {
      // A retried PUT whose first try went through finds the session gone but the blob there.
      if (!isMissing(error)) throw error;
      if (!(await blobExists(client, repository, desc))) throw error;
    }
  };
  try {
    if (desc.size <= chunkSize) {
      await finish(await readAll(content, chunkSize));
      return;
    }
    let offset = 0;
    const resumed = opened ? undefined : await resumeUpload(client, repository, desc, scopes);
    if (resumed) ({ session, offset } = resumed);
    for await (const chunk of chunks(content, chunkSize, offset)) {
      const end = offset + chunk.byteLength - 1;
      const response = await client.call({
        method: "PATCH",
        url: session,
        headers: {
          "content-type": "application/octet-stream",
          "content-range": `${offset}-${end}`,
        },
        body: chunk,
        scopes,
        what,
      });
      const range = /^(?:bytes=)?0-(\d+)$/.exec(response.headers.get("range") ?? "");
      if (range && Number(range[1]) !== end) {
        throw new RegistryError(
          `${client.registry}: ${what}: the registry holds bytes 0-${range[1]}, expected 0-${end}`,
          response.status,
        );
      }
      session = location(response, session, client.registry);
      offset = end + 1;
      const state = { location: session.href, offset };
      await saveUploadState(client.registry, repository, desc.digest, state);
    }
    await finish();
    await saveUploadState(client.registry, repository, desc.digest, undefined);
  } catch (error) {
    await content.cancel().catch(() => {});
    await cancelUpload(client, session, scopes);
    if (desc.size > chunkSize) {
      await saveUploadState(client.registry, repository, desc.digest, undefined);
    }
    throw error;
  }
}

/**
 * An earlier run's upload of `desc` that the registry still holds (an interrupted push): its
 * session and the registry's offset (GET on the session answers `Range: 0-N`). Undefined when
 * there is none or the registry has let it go; the state is then forgotten.
 */
async function resumeUpload(
  client: RegistryClient,
  repository: string,
  desc: Descriptor,
  scopes: string[],
): Promise<{ session: URL; offset: number } | undefined> {
  const saved = await loadUploadState(client.registry, repository, desc.digest);
  if (!saved) return undefined;
  try {
    const base = new URL(client.origin);
    const url = new URL(saved.location);
    if (url.origin !== base.origin || !url.pathname.startsWith("/v2/")) {
      throw new Error("elsewhere");
    }
    const response = await client.call({
      method: "GET",
      url,
      scopes,
      what: `resuming the upload of blob ${desc.digest} to ${repository}`,
    });
    await response.body?.cancel();
    const range = /^(?:bytes=)?0-(\d+)$/.exec(response.headers.get("range") ?? "");
    const offset = range ? Number(range[1]) + 1 : 0;
    if (response.status !== 204 || offset <= 0 || offset >= desc.size) throw new Error("no range");
    return { session: location(response, url, client.registry), offset };
  } catch {
    await saveUploadState(client.registry, repository, desc.digest, undefined);
    return undefined;
  }
}

/** Abandons an upload session (best effort: the registry expires it anyway). */
export async function cancelUpload(client: RegistryClient, session: URL, scopes: string[]) {
  try {
    await client.call({
      method: "DELETE",
      url: session,
      scopes,
      what: "cancelling an upload",
      accept: [404],
    });
  } catch {
    // nothing more to do
  }
}
