/**
 * Asking a repository whether it holds a blob that is uploaded when it is missing, in the way
 * that costs the fewest requests. A HEAD costs one request, and a missing blob then costs a POST
 * and a PUT more. A mount of the blob from the repository itself (`POST
 * /blobs/uploads/?mount=DIGEST&from=REPOSITORY`) is answered 201 by a registry that honours mounts
 * when the repository holds the blob, and otherwise opens the upload session the push then uses:
 * a missing blob costs the POST and the PUT only (distribution 2.8 and 3 do this).
 *
 * Per registry client two things are learned:
 * - Whether the registry honours such a mount: asked once, when a mount would first be used, by
 *   mounting a blob this client uploaded to a repository already (201 expected). A registry that
 *   opens a session instead (the spec lets a registry ignore mounts; the session is cancelled) is
 *   asked with HEADs only, so a blob it holds is never taken for a missing one and uploaded again.
 * - Which answer to expect: after a blob was found missing, the next one is asked by mount (a new
 *   chart's blobs are new); after one was found present, by HEAD (a re-push writes nothing).
 * @module
 */
import type { Descriptor } from "../oci/descriptor.ts";
import { blobExists } from "./blobs.ts";
import { type RegistryClient, scope } from "./client.ts";
import { cancelUpload, mountBlob } from "./uploads.ts";

/** What h3 knows of one registry. */
interface ProbeState {
  /** Whether mounts from the repository itself are honoured; undefined until asked. */
  honoured?: Promise<boolean>;
  /** The last blob uploaded through this client, and where: what the asking mounts. */
  uploaded?: { repository: string; desc: Descriptor };
  /** Whether the last blob asked about was missing. */
  expectMissing: boolean;
}

const states = new WeakMap<RegistryClient, ProbeState>();

function stateOf(client: RegistryClient): ProbeState {
  let state = states.get(client);
  if (!state) {
    state = { expectMissing: false };
    states.set(client, state);
  }
  return state;
}

/** Notes that `desc` was uploaded to `repository` through `client` (no request). */
export function noteUploaded(client: RegistryClient, repository: string, desc: Descriptor): void {
  stateOf(client).uploaded ??= { repository, desc };
}

/** Whether the registry answers a mount of a blob from its own repository with 201. */
async function honoursSelfMount(
  client: RegistryClient,
  uploaded: { repository: string; desc: Descriptor },
): Promise<boolean> {
  const { repository, desc } = uploaded;
  const answer = await mountBlob(client, repository, desc, repository);
  if (answer instanceof URL) await cancelUpload(client, answer, [scope(repository, "pull,push")]);
  return answer === true;
}

/**
 * Whether `repository` holds the blob `desc`: true when it does; when it does not, the URL of an
 * upload session opened by the asking (for the push that follows), or false when none was opened.
 */
export async function probeBlob(
  client: RegistryClient,
  repository: string,
  desc: Descriptor,
): Promise<true | URL | false> {
  const state = stateOf(client);
  if (state.expectMissing && !state.honoured && state.uploaded) {
    state.honoured = honoursSelfMount(client, state.uploaded).catch(() => false);
  }
  if (state.expectMissing && await state.honoured) {
    const answer = await mountBlob(client, repository, desc, repository);
    if (answer !== undefined) {
      state.expectMissing = answer !== true;
      return answer;
    }
    // Refused outright: asked by HEAD from now on.
    state.honoured = Promise.resolve(false);
  }
  const present = await blobExists(client, repository, desc);
  state.expectMissing = !present;
  return present;
}
