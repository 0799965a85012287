/**
 * Where a chunked blob upload stands, kept on disk while it runs (`$HELM_HOME/registry/.uploads`):
 * the session URL and the bytes the registry has. An upload cut short by an interrupt is taken
 * up again by the next push of that blob, from the registry's offset, while the registry still
 * holds the session. Failed uploads are cancelled and forgotten.
 * @module
 */
import { digestOf } from "../oci/descriptor.ts";
import { cacheDir } from "../paths.ts";
import { replaceFile } from "../write_file.ts";

/** An upload session that had received `offset` bytes. */
export interface UploadState {
  /** The session's URL (the last `Location`). */
  location: string;
  /** Bytes the registry acknowledged. */
  offset: number;
}

async function stateFile(registry: string, repository: string, digest: string): Promise<string> {
  const key = new TextEncoder().encode(`${registry}/${repository}@${digest}`);
  const name = (await digestOf(key)).slice("sha256:".length);
  return `${cacheDir()}/.uploads/${name}.json`;
}

/** The state saved for this blob's upload to `registry/repository`, if any. */
export async function loadUploadState(
  registry: string,
  repository: string,
  digest: string,
): Promise<UploadState | undefined> {
  try {
    const text = await Deno.readTextFile(await stateFile(registry, repository, digest));
    const state = JSON.parse(text);
    if (typeof state?.location === "string" && Number.isSafeInteger(state?.offset)) return state;
  } catch { /* none, or unreadable: start afresh */ }
  return undefined;
}

/** Saves (or with `undefined`, forgets) the state of this blob's upload. Best effort. */
export async function saveUploadState(
  registry: string,
  repository: string,
  digest: string,
  state: UploadState | undefined,
): Promise<void> {
  const file = await stateFile(registry, repository, digest);
  try {
    if (!state) return await Deno.remove(file);
    await Deno.mkdir(file.slice(0, file.lastIndexOf("/")), { recursive: true });
    await replaceFile(file, JSON.stringify(state), { mode: 0o600 });
  } catch { /* a push works without it; only a resume would be lost */ }
}
