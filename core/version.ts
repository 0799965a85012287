/**
 * Which h3 this is: the version from `deno.json` and the commit it was built from. Builds (bundle,
 * compile) set the commit at start; from source it is read from `.git` only when asked for.
 * @module
 */
import denoJson from "../deno.json" with { type: "json" };

/** h3's version, from `deno.json`. */
export const version: string = denoJson.version;

let builtFrom: string | undefined;

/** Records the commit a bundle or binary was built from; generated build entries call it. */
export function setBuildCommit(commit: string): void {
  builtFrom = commit;
}

/**
 * The commit this h3 was built from, as `--version` shows it. From source it reads the checkout's
 * HEAD from `.git` (files only, no `git` process) and adds `, source`; without a checkout: `dev`.
 */
export async function builtCommit(): Promise<string> {
  if (builtFrom) return builtFrom;
  const head = await gitHead(await gitDirOf(new URL("../", import.meta.url)));
  return head ? `${head.slice(0, 12)}, source` : "dev";
}

/** A checkout's git directory: `.git/`, or where a worktree's `.git` file (`gitdir: PATH`) points. */
async function gitDirOf(checkout: URL): Promise<URL> {
  const dotGit = new URL(".git", checkout);
  const link = dotGit.protocol === "file:"
    ? await Deno.readTextFile(dotGit).catch(() => undefined)
    : undefined;
  const path = link?.match(/^gitdir: (.+)$/m)?.[1].trim();
  return path ? new URL(`${path.replace(/\/?$/, "/")}`, checkout) : new URL(".git/", checkout);
}

/**
 * The commit a checkout's HEAD points at (directly, or through a loose or packed ref, which a
 * worktree's git directory finds in the repository's common directory).
 */
export async function gitHead(gitDir: URL): Promise<string | undefined> {
  if (gitDir.protocol !== "file:") return undefined;
  const read = (path: string, dir = gitDir) =>
    Deno.readTextFile(new URL(path, dir)).catch(() => undefined);
  const head = (await read("HEAD"))?.trim();
  if (!head) return undefined;
  if (!head.startsWith("ref: ")) return /^[0-9a-f]{40,64}$/.test(head) ? head : undefined;
  const common = (await read("commondir"))?.trim();
  const refsDir = common ? new URL(`${common.replace(/\/?$/, "/")}`, gitDir) : gitDir;
  const ref = head.slice("ref: ".length);
  const loose = (await read(ref, refsDir))?.trim();
  if (loose) return loose;
  const packed = await read("packed-refs", refsDir);
  const line = packed?.split("\n").find((l) => l.endsWith(` ${ref}`));
  return line?.split(" ")[0];
}
