/**
 * Small file facts tests compare: a folder's entry names, a sha256 in hex (computed with Web Crypto,
 * apart from h3's own hashing), and what a sandbox's cache holds (read from its index.json, not
 * through h3).
 * @module
 */
import type { Sandbox } from "./cli.ts";

/** The names in folder `dir`, sorted; none when it does not exist. */
export async function dirNames(dir: string): Promise<string[]> {
  try {
    return (await Array.fromAsync(Deno.readDir(dir), (e) => e.name)).sort();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

/** The sha256 of `data` (text as UTF-8) in lowercase hex, without the `sha256:` prefix. */
export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const hash = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(hash), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The ref names the sandbox's cache index lists (none when there is no cache yet). */
export async function cachedRefs(sb: Sandbox): Promise<string[]> {
  return (await cachedManifests(sb)).map((m) => m.annotations["org.opencontainers.image.ref.name"]);
}

/** Whether the sandbox's cache index lists no manifest at all (or there is no cache). */
export async function cacheIsEmpty(sb: Sandbox): Promise<boolean> {
  return (await cachedManifests(sb)).length === 0;
}

async function cachedManifests(
  sb: Sandbox,
): Promise<{ annotations: Record<string, string> }[]> {
  const index = await Deno.readTextFile(`${sb.helmHome}/registry/index.json`).catch(() => "");
  return index === "" ? [] : JSON.parse(index).manifests;
}
