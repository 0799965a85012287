/**
 * `chart copy SRC DST` between any two places (registry repositories, `oci:DIR`,
 * `oci-archive:FILE.tar`): each end opened as a Target, and the tags to copy planned: every tag
 * with `allTags`, else SRC's tag or digest, or its highest version (as pull picks it).
 * @module
 */
import { tagOrder } from "./chart/tags.ts";
import { resolveVersionTag } from "./chart/versions.ts";
import { option, phrase, RefError, SettingError } from "./errors.ts";
import { type Location, openLayoutLocation, parseLocation } from "./locations.ts";
import type { TagCopy } from "./mirror.ts";
import { type Reference, repositoryName } from "./ref.ts";
import type { Target } from "./target.ts";

/** One end of a copy, opened. Dispose it to close connections and remove temp files. */
export interface CopyEnd extends AsyncDisposable {
  /** What was parsed. */
  location: Location;
  /** The Target to copy from or to. */
  target: Target;
  /** How messages name it: `registry/repository`, `oci:DIR`, `oci-archive:FILE`. */
  name: string;
  /** The tag (or layout ref name) the input named. */
  tag?: string;
  /** The digest the input named. */
  digest?: string;
  /** Writes what was copied into place (an archive destination); a no-op otherwise. */
  commit(): Promise<void>;
}

/**
 * Opens `input` as the source (`source` true) or destination of a copy; registry repositories are
 * opened with `openRegistry` (and disposed by it, if it owns them).
 */
export async function openCopyEnd(
  input: string,
  source: boolean,
  openRegistry: (ref: Reference) => Promise<Target>,
): Promise<CopyEnd> {
  const location = parseLocation(input);
  if (location.kind === "registry") {
    const { ref } = location;
    return {
      location,
      target: await openRegistry(ref),
      name: repositoryName(ref),
      tag: ref.tag,
      digest: ref.digest,
      commit: () => Promise.resolve(),
      [Symbol.asyncDispose]: () => Promise.resolve(),
    };
  }
  const opened = await openLayoutLocation(location, source);
  const digest = location.reference?.startsWith("sha256:") ? location.reference : undefined;
  return {
    location,
    target: opened.layout,
    name: opened.layout.label,
    tag: digest ? undefined : location.reference,
    digest,
    commit: () => opened.commit(),
    [Symbol.asyncDispose]: () => opened[Symbol.asyncDispose](),
  };
}

const tagPattern = /^[\w][\w.-]{0,127}$/;

/** Refuses a destination tag a registry would not take (layout ref names allow more). */
function checkTag(dst: CopyEnd, tag: string): void {
  if (dst.location.kind === "registry" && !tagPattern.test(tag) && !tag.startsWith("sha256:")) {
    throw new RefError(`${dst.name}: "${tag}" is not a valid tag; name the destination tag`);
  }
}

/**
 * What to copy: every tag of SRC with `allTags` (but those `leaveOut` says travel otherwise), else
 * SRC's one tag or digest (or its highest version, as pull picks it). A name a registry lists that
 * is not a valid tag goes to `onInvalidTag` and is never copied.
 */
export async function planCopies(
  src: CopyEnd,
  dst: CopyEnd,
  allTags: boolean,
  leaveOut: (tag: string) => boolean = () => false,
  onInvalidTag?: (tag: string) => void,
): Promise<TagCopy[]> {
  if (dst.digest) throw new RefError(`${dst.name}: DST takes a tag, not a digest`);
  if (allTags) {
    if (src.tag || src.digest || dst.tag) {
      throw new SettingError(phrase`with ${option("allTags")}, SRC and DST name no tag or digest`, {
        setting: "allTags",
      });
    }
    const listed = src.target.tags({ onInvalid: onInvalidTag });
    const tags = tagOrder(await Array.fromAsync(listed)).filter((t) => !leaveOut(t));
    for (const tag of tags) checkTag(dst, tag);
    return tags.map((tag): TagCopy => ({ source: tag, destination: tag }));
  }
  const source = src.tag ?? src.digest ?? await resolveVersionTag(src.target, src.name);
  const destination = dst.tag ?? source;
  checkTag(dst, destination);
  return [{ source, destination, expectDigest: src.digest }];
}
