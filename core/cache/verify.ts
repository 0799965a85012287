/**
 * Checking the cache end to end: every blob re-hashed against its name, every ref's manifest,
 * config and layers present with the size and digest the manifest gives, no ref listed twice; and
 * repairing it by removing broken refs and corrupt blobs, then collecting what nothing needs.
 * @module
 */
import { hashingStream } from "../digest.ts";
import { CacheError, H3Error } from "../errors.ts";
import { decodeManifest, type Descriptor, maxManifestSize } from "../oci/descriptor.ts";
import { type StaleTemp, staleTemps } from "./_files.ts";
import { updateIndex } from "./_index.ts";
import { readIndex, refName } from "./index_file.ts";
import type { CollectResult, OciLayout } from "./layout.ts";

/** One thing wrong with the cache, as a line a user reads: `subject: message`. */
export interface Problem {
  /** What is broken: a ref, `blob sha256:...`, `blobs/sha256/NAME` or `index.json`. */
  subject: string;
  /** What is wrong with it. */
  message: string;
}

/** What a check found. */
export interface VerifyReport {
  /** Refs checked. */
  refs: number;
  /** Blobs re-hashed. */
  blobs: number;
  /** Everything found wrong, in the order found. */
  problems: Problem[];
  /** Index entries (as JSON) that are broken or repeat an earlier ref, once per occurrence. */
  brokenEntries: string[];
  /** Files under blobs/sha256 whose content does not match their name (or with no digest name). */
  corruptBlobs: string[];
  /** Temp files of writes that did not finish (their process is gone): `prune` removes them. */
  staleTemps: StaleTemp[];
}

/** What a repair removed. */
export interface RepairResult {
  /** The problems found before repairing. */
  before: VerifyReport;
  /** Refs removed from the index (a ref listed twice appears once per removed entry). */
  removedRefs: string[];
  /** Corrupt blob files deleted (paths relative to the cache). */
  removedBlobs: string[];
  /** What the collection that followed removed. */
  collected: CollectResult;
}

const blobName = /^[a-f0-9]{64}$/;

/** A blob as found on disk: missing, or its size and the digest of its bytes. */
type BlobState = { missing: true } | { missing: false; size: number; digest: string };

async function hashFile(path: string): Promise<BlobState> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { missing: true };
    throw error;
  }
  const { stream, measured } = hashingStream();
  await file.readable.pipeThrough(stream).pipeTo(new WritableStream());
  return { missing: false, ...(await measured) };
}

/** Re-hashes blobs on demand, each once. */
class Blobs {
  #states = new Map<string, Promise<BlobState>>();
  /** Digests whose file's content does not hash to them. */
  readonly corrupt = new Set<string>();
  constructor(readonly dir: string) {}

  /** Where the blob with this digest lives. */
  path(digest: string): string {
    return `${this.dir}/blobs/sha256/${digest.slice("sha256:".length)}`;
  }

  get count(): number {
    return this.#states.size;
  }

  state(digest: string): Promise<BlobState> {
    let state = this.#states.get(digest);
    if (!state) {
      state = hashFile(this.path(digest)).then((s) => {
        if (!s.missing && s.digest !== digest) this.corrupt.add(digest);
        return s;
      });
      this.#states.set(digest, state);
    }
    return state;
  }

  /** What is wrong with the blob `desc` points at, if anything. */
  async check(desc: Descriptor, role: string): Promise<string | undefined> {
    const found = await this.state(desc.digest);
    if (found.missing) return `${role} ${desc.digest} is missing`;
    if (found.digest !== desc.digest) return `${role} ${desc.digest} is corrupt`;
    if (found.size !== desc.size) {
      return `${role} ${desc.digest} is ${found.size} bytes, but ${desc.size} are expected`;
    }
    return undefined;
  }
}

/** What is wrong with one index entry and the blobs it needs (empty when whole). */
async function checkEntry(desc: Descriptor, blobs: Blobs): Promise<string[]> {
  const manifestProblem = await blobs.check(desc, "manifest");
  if (manifestProblem) return [manifestProblem];
  if (desc.size > maxManifestSize) {
    return [`manifest ${desc.digest} is over the ${maxManifestSize} bytes allowed`];
  }
  const bytes = await Deno.readFile(blobs.path(desc.digest));
  let parts: [Descriptor, string][];
  try {
    const manifest = decodeManifest(bytes, desc.mediaType);
    parts = [
      [manifest.config, "config"],
      ...manifest.layers.map((l): [Descriptor, string] => [l, "layer"]),
    ];
  } catch (error) {
    return [`manifest ${desc.digest} is unreadable: ${(error as Error).message}`];
  }
  const found = await Promise.all(parts.map(([d, role]) => blobs.check(d, role)));
  return found.filter((p): p is string => p !== undefined);
}

const digestPattern = /^sha256:[a-f0-9]{64}$/;

/**
 * Checks the cache, or only the given full refs and the blobs they need. Reads only: run it while
 * other processes write, and what they have not finished is not reported.
 */
export async function verifyCache(cache: OciLayout, refs?: string[]): Promise<VerifyReport> {
  const report: VerifyReport = {
    refs: 0,
    blobs: 0,
    problems: [],
    brokenEntries: [],
    corruptBlobs: [],
    staleTemps: [],
  };
  if (!(await Deno.stat(cache.dir).catch(() => undefined))) {
    for (const ref of refs ?? []) {
      report.problems.push({ subject: ref, message: "not found in the cache" });
    }
    return report;
  }
  // Listed before the hold below, whose start may clear them: the report says which went.
  const temps = refs ? [] : await staleTemps(cache.dir);
  // Collection by other processes waits from here on: a ref seen keeps its blobs. (A cache this
  // user cannot write to has no writers of theirs to wait for: it is checked all the same.)
  await using _held = await cache.hold().catch((error) => {
    if (!(error instanceof Deno.errors.PermissionDenied)) throw error;
    return undefined;
  });
  let manifests: Descriptor[];
  try {
    manifests = (await readIndex(cache.dir)).manifests;
  } catch (error) {
    if (!(error instanceof CacheError)) throw error;
    report.problems.push({ subject: "index.json", message: error.message });
    return report;
  }
  const blobs = new Blobs(cache.dir);
  const wanted = refs && new Set(refs);
  const found = new Set<string>();
  const whole = new Set<string>();
  for (const [position, desc] of manifests.entries()) {
    const entry = typeof desc === "object" && desc !== null ? desc : undefined;
    const ref = entry && refName(entry);
    if (wanted && (ref === undefined || !wanted.has(ref))) continue;
    const subject = ref ?? `index.json entry ${position + 1}`;
    report.refs++;
    const problems = entry && digestPattern.test(entry.digest)
      ? await checkEntry(entry, blobs)
      : [`not a descriptor with a sha256 digest`];
    if (ref !== undefined) {
      found.add(ref);
      if (!problems.length && whole.has(ref)) problems.push("listed more than once in index.json");
      if (!problems.length) whole.add(ref);
    }
    if (problems.length) report.brokenEntries.push(JSON.stringify(desc));
    for (const message of problems) report.problems.push({ subject, message });
  }
  for (const ref of wanted ?? []) {
    if (!found.has(ref)) report.problems.push({ subject: ref, message: "not found in the cache" });
  }
  if (!wanted) {
    await checkAllBlobs(cache, blobs, report);
    for (const temp of temps) {
      const removed = !(await Deno.stat(`${cache.dir}/${temp.file}`).catch(() => undefined));
      report.staleTemps.push(removed ? { ...temp, removed } : temp);
    }
  }
  report.blobs = blobs.count;
  for (const digest of blobs.corrupt) {
    report.corruptBlobs.push(`blobs/sha256/${digest.slice("sha256:".length)}`);
  }
  return report;
}

/** Re-hashes every file under blobs/sha256, reporting those whose bytes do not match the name. */
async function checkAllBlobs(cache: OciLayout, blobs: Blobs, report: VerifyReport) {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(`${cache.dir}/blobs/sha256`)) names.push(entry.name);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  for (const name of names.sort()) {
    if (!blobName.test(name)) {
      report.problems.push({
        subject: `blobs/sha256/${name}`,
        message: "not a sha256 digest name",
      });
      report.corruptBlobs.push(`blobs/sha256/${name}`);
      continue;
    }
    const digest = `sha256:${name}`;
    const state = await blobs.state(digest);
    if (!state.missing && state.digest !== digest) {
      report.problems.push({
        subject: `blob ${digest}`,
        message: `corrupt: its content hashes to ${state.digest}`,
      });
    }
  }
}

/**
 * Repairs the cache (or the given refs): with no other process writing, checks it, deletes corrupt
 * blobs, removes broken (and repeated) index entries, then collects what nothing needs any more.
 */
export async function repairCache(cache: OciLayout, refs?: string[]): Promise<RepairResult> {
  if (!(await Deno.stat(cache.dir).catch(() => undefined))) {
    const empty = await verifyCache(cache, refs);
    return {
      before: empty,
      removedRefs: [],
      removedBlobs: [],
      collected: { blobs: 0, temps: 0, bytes: 0 },
    };
  }
  return await cache.exclusive(async () => {
    const before = await verifyCache(cache, refs);
    if (before.problems.some((p) => p.subject === "index.json")) {
      throw new CacheError(
        `${cache.dir}/index.json cannot be read, so the refs cannot be repaired; ` +
          `move it away to start an empty cache`,
      );
    }
    for (const path of before.corruptBlobs) {
      await Deno.remove(`${cache.dir}/${path}`, { recursive: true }).catch((error) => {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      });
    }
    const removedRefs = await updateIndex(cache.dir, (index) => {
      const broken = [...before.brokenEntries];
      const removed: string[] = [];
      index.manifests = index.manifests.filter((desc, position) => {
        const at = broken.indexOf(JSON.stringify(desc));
        if (at < 0) return true;
        broken.splice(at, 1);
        const ref = typeof desc === "object" && desc !== null ? refName(desc) : undefined;
        removed.push(ref ?? `index.json entry ${position + 1}`);
        return false;
      });
      return removed;
    });
    const collected = await cache.collect();
    return { before, removedRefs, removedBlobs: before.corruptBlobs, collected };
  }).catch((error) => {
    throw error instanceof H3Error ? error : new CacheError(
      `cannot repair the cache at ${cache.dir}: ${(error as Error).message}`,
      { cause: error },
    );
  });
}
