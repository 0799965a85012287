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

function versionLine(commit: string): string {
  return `h3 ${version} (commit ${commit})`;
}

/**
 * The version line `h3 --version` prints. From source it reads the checkout's HEAD from `.git`
 * (files only, no `git` process) and says `source`; without a checkout the commit is `dev`.
 */
export async function describeVersion(): Promise<string> {
  if (builtFrom) return versionLine(builtFrom);
  const head = await gitHead(new URL("../.git/", import.meta.url));
  return versionLine(head ? `${head.slice(0, 12)}, source` : "dev");
}

/** The commit a checkout's HEAD points at (directly, or through a loose or packed ref). */
export async function gitHead(gitDir: URL): Promise<string | undefined> {
  if (gitDir.protocol !== "file:") return undefined;
  const read = (path: string) => Deno.readTextFile(new URL(path, gitDir)).catch(() => undefined);
  const head = (await read("HEAD"))?.trim();
  if (!head) return undefined;
  if (!head.startsWith("ref: ")) return /^[0-9a-f]{40,64}$/.test(head) ? head : undefined;
  const ref = head.slice("ref: ".length);
  const loose = (await read(ref))?.trim();
  if (loose) return loose;
  const packed = await read("packed-refs");
  const line = packed?.split("\n").find((l) => l.endsWith(` ${ref}`));
  return line?.split(" ")[0];
}
