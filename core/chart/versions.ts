/**
 * Chart versions in a registry repository: which tags are SemVer versions (tags spell `+` as `_`),
 * their order (newest first), and the tag a version or range selects, as Helm does: an exact tag
 * first, then the highest version in the range; no range means the highest stable version.
 * @module
 */
import semver from "semver";
import { option, type Phrase, phrase, RegistryError, SettingError } from "../errors.ts";
import {
  formatReference,
  type Reference,
  repositoryName,
  tagToVersion,
  versionToTag,
} from "../ref.ts";
import type { TagLister } from "../target.ts";

/** A tag that names a SemVer version. */
export interface VersionTag {
  tag: string;
  /** The version it stands for (`_` read back as `+`). */
  version: string;
}

/** What to select: a version or range (`--version`), and whether pre-releases count (`--devel`). */
export interface VersionRequest {
  /** A version or SemVer range (Helm's comma-separated constraints too). */
  version?: string;
  /** Whether pre-releases count. */
  devel?: boolean;
}

/** Whether `version` is a strict SemVer 2 version (no leading `v`, no white space). */
function isStrictSemver(version: string): boolean {
  return /^[0-9]/.test(version) && version.trim() === version && semver.valid(version) !== null;
}

/** The SemVer version a tag stands for, or undefined when it is none (`latest`, `v1.0`, `stable`). */
export function tagVersion(tag: string): string | undefined {
  const version = tagToVersion(tag);
  return isStrictSemver(version) ? version : undefined;
}

/** The SemVer tags among `tags`, newest first (equal versions, differing only in build, by tag). */
export function versionTags(tags: Iterable<string>): VersionTag[] {
  const found: VersionTag[] = [];
  for (const tag of tags) {
    const version = tagVersion(tag);
    if (version) found.push({ tag, version });
  }
  return found.sort((a, b) =>
    semver.rcompare(a.version, b.version) || (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0)
  );
}

/**
 * A `version` option as a node-semver range: Helm's comma-separated constraints
 * (`>=1.2.0, <2.0.0`) become space-separated ones. Throws a `SettingError` for anything else.
 */
export function versionRange(input: string): string {
  const range = input.trim().replaceAll(",", " ");
  if (range === "" || semver.validRange(range) === null) {
    throw new SettingError(
      phrase`invalid ${
        option("version")
      } "${input}": not a SemVer version or range (e.g. 1.2.3, ^1.2.0, ">=1.0.0 <2.0.0")`,
      { setting: "version", value: input },
    );
  }
  return range;
}

/**
 * The tag `request` selects among `tags`: a tag equal to the requested version (or to it with `+`
 * spelled `_`) first; else the highest SemVer tag in the range (pre-releases only with `devel`, or
 * when the range names one); with no version, the highest stable version (any with `devel`), or
 * `latest` when no tag is a SemVer version. Undefined when nothing matches.
 */
export function selectTag(tags: string[], request: VersionRequest = {}): string | undefined {
  const wanted = request.version?.trim();
  if (wanted) {
    const exact = tags.find((tag) => tag === wanted || tag === versionToTag(wanted));
    if (exact) return exact;
  }
  const candidates = versionTags(tags);
  if (!wanted && candidates.length === 0) return tags.includes("latest") ? "latest" : undefined;
  const range = wanted ? versionRange(wanted) : "*";
  const options = { includePrerelease: request.devel === true };
  return candidates.find((c) => semver.satisfies(c.version, range, options))?.tag;
}

/**
 * The one rule for a reference without a tag or digest, wherever its tags come from (the cache or
 * a registry): with no `--version`, the only tag there is; else the tag `selectTag` picks (the
 * highest stable SemVer version; `latest` when no tag is a version). Undefined when that leaves
 * nothing or more than one to choose from.
 */
export function untaggedTag(tags: string[], request: VersionRequest = {}): string | undefined {
  if (!request.version?.trim() && tags.length === 1) return tags[0];
  return selectTag(tags, request);
}

/**
 * Lists the tags of `repository` (`name` names it in errors) and returns the tag `request`
 * selects by the rule of `untaggedTag`; a `RegistryError` (404) says what was looked for and what there is when none matches.
 */
export async function resolveVersionTag(
  repository: TagLister,
  name: string,
  request: VersionRequest = {},
): Promise<string> {
  const tags = await Array.fromAsync(repository.tags()).catch((error) => {
    if (!(error instanceof RegistryError && error.code === "NAME_UNKNOWN")) throw error;
    throw new RegistryError(`${name}: no such repository in the registry`, 404, error.code, {
      cause: error,
    });
  });
  const tag = untaggedTag(tags, request);
  if (tag) return tag;
  throw new RegistryError(phrase`${name}: ${noMatch(tags, request)}`, 404, "MANIFEST_UNKNOWN");
}

/**
 * The tag to read first for `ref` when it names no tag or digest and `version` is one exact SemVer
 * version (not a range), as Helm reads it: the version, `+` spelled `_`; the tags need listing
 * only when it is not there. Undefined otherwise.
 */
export function exactVersionTag(ref: Reference, version?: string): string | undefined {
  const wanted = version?.trim();
  if (!wanted || ref.tag || ref.digest) return undefined;
  return semver.valid(wanted) === wanted ? versionToTag(wanted) : undefined;
}

/**
 * The reference to fetch for `ref` (parsed as typed): a tag or digest it names is kept (a
 * `version` that differs from its tag is a `SettingError`); without either, the tag `request`
 * selects among the tags of `repository`.
 */
export async function resolveReference(
  ref: Reference,
  repository: TagLister,
  request: VersionRequest = {},
): Promise<Reference> {
  const wanted = request.version?.trim();
  if (ref.tag || ref.digest) {
    if (wanted && ref.tag !== wanted && ref.tag !== versionToTag(wanted)) {
      throw new SettingError(
        phrase`${formatReference(ref)} names its tag or digest already; ${
          option("version")
        } "${wanted}" differs`,
        { setting: "version", value: wanted },
      );
    }
    return ref;
  }
  return { ...ref, tag: await resolveVersionTag(repository, repositoryName(ref), request) };
}

/** Why nothing was selected, with the newest versions there are. */
function noMatch(tags: string[], request: VersionRequest): string | Phrase {
  const versions = versionTags(tags);
  if (versions.length === 0) {
    return tags.length === 0
      ? "no tags in the repository"
      : `no SemVer tags and no "latest" tag (tags: ${shortList(tags)})`;
  }
  const newest = `newest: ${shortList(versions.map((v) => v.version))}`;
  if (request.version) return `no version matches "${request.version}" (${newest})`;
  return phrase`no stable version, only pre-releases; pass ${
    option("devel")
  } to allow them (${newest})`;
}

function shortList(items: string[]): string {
  return items.length > 5 ? `${items.slice(0, 5).join(", ")}, ...` : items.join(", ");
}
