/**
 * Chart references: `[oci://]registry[:port]/repository[:tag][@sha256:digest]`, parsed and
 * validated with the grammar of the distribution reference spec.
 * @module
 */
import { option, phrase, RefError } from "./errors.ts";

/** A parsed reference. `tag` and `digest` may both be absent (a bare repository). */
export interface Reference {
  /** Registry host with optional port, e.g. `localhost:5000` or `ghcr.io`. */
  registry: string;
  /** Repository path inside the registry, e.g. `myrepo/mychart`. */
  repository: string;
  /** Tag, e.g. `1.2.3` or `latest`. */
  tag?: string;
  /** Digest pin, e.g. `sha256:...`. */
  digest?: string;
}

const hostComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const hostPattern = new RegExp(
  `^(?:${hostComponent}(?:\\.${hostComponent})*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]{1,5})?$`,
);
const pathComponent = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const tagPattern = /^[\w][\w.-]{0,127}$/;
const digestPattern = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const sha256Pattern = /^sha256:[a-f0-9]{64}$/;

/**
 * Whether `input` names an OCI layout or layout archive (`oci:DIR...`, `oci-archive:FILE...`)
 * rather than a registry reference (`oci://` is a registry's).
 */
export function isLayoutLocation(input: string): boolean {
  return (input.startsWith("oci:") && !input.startsWith("oci://")) ||
    input.startsWith("oci-archive:");
}

/** Whether `tag` is a tag of the distribution grammar: `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`. */
export function isTag(tag: string): boolean {
  return tagPattern.test(tag);
}

/** Whether `digest` has the digest grammar (`algorithm:encoded`, at most 255 characters). */
export function isDigest(digest: string): boolean {
  return digest.length <= 255 && digestPattern.test(digest);
}

/** Whether `name` is a repository name: lowercase path components, at most 255 characters. */
export function isRepositoryName(name: string): boolean {
  return name.length > 0 && name.length <= 255 &&
    name.split("/").every((component) => pathComponent.test(component));
}

/** Docker Hub's canonical name, used when a reference names no registry. */
export const dockerHub = "docker.io";

/**
 * A registry host alone (`localhost`, `localhost:5000`, `ghcr.io`, `10.0.0.1:5000`): Docker would
 * read it as a Docker Hub repository (`docker.io/library/localhost:5000`), which nobody means.
 */
const registryOnly = /^(?:localhost|[a-z0-9-]+(?:\.[a-z0-9-]+)+)(?::[0-9]{1,5})?$/i;

/** Parses a reference string, throwing a `RefError` that names what is wrong. */
export function parseReference(input: string): Reference {
  const raw = input.startsWith("oci://") ? input.slice("oci://".length) : input;
  if (raw === "") throw new RefError(`invalid reference "${input}": empty`);
  if (/\s/.test(raw)) throw new RefError(`invalid reference "${input}": contains white space`);
  const scheme = /^(https?):\/\//i.exec(raw);
  if (scheme) {
    const drop = `invalid reference "${input}": drop the "${scheme[0]}" (references are ` +
      `registry/repository[:tag]`;
    throw new RefError(
      scheme[1].toLowerCase() === "http"
        ? phrase`${drop}; add ${option("plainHttp")} for a registry without TLS)`
        : `${drop})`,
    );
  }

  let rest = raw;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    validateDigest(digest, input);
  }

  if (registryOnly.test(rest)) {
    throw new RefError(
      `invalid reference "${input}": that names a registry, not a chart; add the repository ` +
        `(e.g. ${rest}/team/mychart[:TAG])`,
    );
  }

  let registry = dockerHub;
  const slash = rest.indexOf("/");
  const first = slash < 0 ? rest : rest.slice(0, slash);
  if (
    slash >= 0 &&
    (first.includes(".") || first.includes(":") || first === "localhost" || first.startsWith("["))
  ) {
    registry = first;
    rest = rest.slice(slash + 1);
    if (!hostPattern.test(registry)) {
      throw new RefError(`invalid reference "${input}": invalid registry host "${registry}"`);
    }
  }

  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf("/");
  const colon = rest.lastIndexOf(":");
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!tagPattern.test(tag)) {
      throw new RefError(
        `invalid reference "${input}": invalid tag "${tag}" (letters, digits, '_', '.', '-'; at most 128)`,
      );
    }
  }

  if (rest === "") throw new RefError(`invalid reference "${input}": missing repository`);
  for (const component of rest.split("/")) {
    if (component === "") {
      throw new RefError(`invalid reference "${input}": empty path component (check for "//")`);
    }
    if (!pathComponent.test(component)) {
      throw new RefError(
        `invalid reference "${input}": invalid repository name "${rest}" (lowercase letters, digits and separators only)`,
      );
    }
  }
  if (registry === dockerHub && !rest.includes("/")) rest = `library/${rest}`;
  if (registry.length + rest.length + 1 > 255) {
    throw new RefError(`invalid reference "${input}": repository name longer than 255 characters`);
  }
  return { registry, repository: rest, tag, digest };
}

function validateDigest(digest: string, input: string): void {
  if (!digestPattern.test(digest)) {
    throw new RefError(`invalid reference "${input}": malformed digest "${digest}"`);
  }
  if (!sha256Pattern.test(digest)) {
    throw new RefError(
      `invalid reference "${input}": unsupported digest "${digest}" (only sha256 with 64 lowercase hex digits)`,
    );
  }
}

/** The repository part of a reference: `registry/repository`. */
export function repositoryName(ref: Reference): string {
  return `${ref.registry}/${ref.repository}`;
}

/** Formats a reference back to its canonical string, without `oci://`. */
export function formatReference(ref: Reference): string {
  let s = repositoryName(ref);
  if (ref.tag) s += `:${ref.tag}`;
  if (ref.digest) s += `@${ref.digest}`;
  return s;
}

/** A copy of `ref` with `tag` set (and no digest), e.g. for the tag a chart version gives. */
export function withTag(ref: Reference, tag: string): Reference {
  if (!tagPattern.test(tag)) throw new RefError(`invalid tag "${tag}"`);
  return { registry: ref.registry, repository: ref.repository, tag };
}

/** The tag a chart version is stored under: OCI tags allow no `+`, so it becomes `_` (as Helm). */
export function versionToTag(version: string): string {
  return version.replaceAll("+", "_");
}

/** The chart version a tag stands for: the inverse of `versionToTag`. */
export function tagToVersion(tag: string): string {
  return tag.replaceAll("_", "+");
}

/** The last path component of the repository: the chart's name in Helm's OCI layout. */
export function chartBaseName(ref: Reference): string {
  return ref.repository.slice(ref.repository.lastIndexOf("/") + 1);
}

/** What the seed prints before `: saved`, `: removed`, `: pushed ...`: the tag, else the digest. */
export function refLabel(ref: Reference): string {
  return ref.tag ?? ref.digest ?? "latest";
}

/**
 * Where a packaged chart goes when pushed to `remote` (`oci://REGISTRY[/NAMESPACE]`, as `helm
 * push` takes it): `REGISTRY[/NAMESPACE]/<chart name>:<tag>`.
 */
export function archiveReference(remote: string, name: string, tag: string): Reference {
  const path = remote.replace(/^oci:\/\//, "").replace(/\/+$/, "");
  if (path.includes("@") || path.split("/").slice(1).some((part) => part.includes(":"))) {
    throw new RefError(
      `invalid remote "${remote}": give oci://REGISTRY[/NAMESPACE] without a tag or digest ` +
        "(the chart's version is the tag)",
    );
  }
  return parseReference(`${path}/${name}:${tag}`);
}
