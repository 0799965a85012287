/**
 * The real peers `scripts/peers.sh` builds (helm3, helm4, oras, crane, cosign, registry3), found the
 * way that script lays them out: it is asked (`--path`), so only it knows the folders and versions.
 * A peer that is not built is `undefined`; tests then skip, naming it (see {@linkcode peerMissing}).
 * @module
 */
import { runCommand, type RunResult } from "./cli.ts";

/** The peers the script knows, by the name their binary has. */
export type PeerName = "helm3" | "helm4" | "oras" | "crane" | "cosign" | "registry3";

/** One built peer. */
export interface Peer {
  /** Its name, e.g. `helm4`. */
  name: PeerName;
  /** The pinned version it was built from, e.g. `v4.3.2`. */
  version: string;
  /** The absolute path of its binary. */
  path: string;
}

const script = new URL("../../scripts/peers.sh", import.meta.url).pathname;

function builtPeers(): Map<string, Peer> {
  const found = new Map<string, Peer>();
  let out: Deno.CommandOutput;
  try {
    out = new Deno.Command("bash", { args: [script, "--path"], stdout: "piped", stderr: "null" })
      .outputSync();
  } catch {
    return found; // no bash: no peers
  }
  const fragment = new TextDecoder().decode(out.stdout).trim();
  for (const dir of fragment ? fragment.split(":") : []) {
    const folder = dir.slice(dir.lastIndexOf("/") + 1);
    const dash = folder.lastIndexOf("-");
    const name = folder.slice(0, dash) as PeerName;
    found.set(name, { name, version: folder.slice(dash + 1), path: `${dir}/${name}` });
  }
  return found;
}

const peers = builtPeers();

/** The built peer `name`, or undefined when `scripts/peers.sh` has not built it on this machine. */
export function peer(name: PeerName): Peer | undefined {
  return peers.get(name);
}

/**
 * For `Deno.test({ ignore })`: false when every peer in `names` is built, else a message naming
 * those missing and how to build them (put it into the test's name, where the runner shows it).
 */
export function peerMissing(...names: PeerName[]): false | string {
  const missing = names.filter((name) => !peers.has(name));
  return missing.length > 0 &&
    `skipped: ${missing.join(", ")} not built (run bash scripts/peers.sh)`;
}

/**
 * Runs peer `name` with `args` in `env` only (plus PATH = the peer's folder, so no credential
 * helper on the machine's PATH is picked up by accident); check the result with `expectCode` from
 * cli.ts. Throws when the peer is not built.
 */
export function runPeer(
  name: PeerName,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; stdin?: string } = {},
): Promise<RunResult> {
  const found = peers.get(name);
  if (!found) throw new Error(`${name} is not built (run bash scripts/peers.sh)`);
  const command = new Deno.Command(found.path, {
    args,
    cwd: options.cwd,
    clearEnv: true,
    env: { PATH: found.path.slice(0, found.path.lastIndexOf("/")), ...options.env },
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  });
  return runCommand(command, options.stdin);
}

/**
 * Defines test `name` needing the peers `needs`: ignored, with the reason in its name, when one is
 * not built (e.g. `testWithPeers("cosign verifies h3's signature", ["cosign"], async () => ...)`).
 */
export function testWithPeers(
  name: string,
  needs: PeerName[],
  fn: (t: Deno.TestContext) => Promise<void>,
): void {
  const missing = peerMissing(...needs);
  Deno.test({ name: missing ? `${name} (${missing})` : name, ignore: missing !== false, fn });
}
