/**
 * A chart's metadata (Chart.yaml's fields) and the rules Helm 3's loader applies to it, no
 * stricter: a missing apiVersion is `v1` (Helm 2 charts), field names match case-insensitively and
 * the last of repeated fields wins (Go's JSON decoding), any name that is one path component, a
 * version Helm's SemVer parser takes (`v1.2.3`, `1.2`), dependencies without a name. Field shapes
 * and Helm's string sanitizing as Helm. Errors are one line naming the source (a file, or a config
 * blob) and the field.
 * @module
 */
import { ChartError } from "../errors.ts";

/** A chart maintainer (Helm's `chart.Maintainer`). */
export interface Maintainer {
  /** The maintainer's name. */
  name?: string;
  /** Their e-mail address. */
  email?: string;
  /** Their web page. */
  url?: string;
}

/** A chart dependency (Helm's `chart.Dependency`). */
export interface Dependency {
  /** The chart depended on. */
  name: string;
  /** A version or SemVer range of it. */
  version?: string;
  /** Where it comes from (a repository URL, `oci://...`, or `file://...`). */
  repository: string;
  /** A values path that enables it when true. */
  condition?: string;
  /** Tags that enable it together. */
  tags?: string[];
  /** Whether it is enabled (set by Helm while it resolves conditions). */
  enabled?: boolean;
  /** Values imported from it into the parent. */
  "import-values"?: unknown[];
  /** Values it exports to the parent. */
  "export-values"?: unknown[];
  /** The name it is used under. */
  alias?: string;
}

/** Chart.yaml's fields, as Helm's `chart.Metadata` holds them (empty fields left out). */
export interface ChartMetadata {
  /** The chart's name. */
  name: string;
  /** The project's home page. */
  home?: string;
  /** Where the chart's sources live. */
  sources?: string[];
  /** The chart's SemVer 2 version. */
  version: string;
  /** One sentence about the chart. */
  description?: string;
  /** Search keywords. */
  keywords?: string[];
  /** Who maintains it. */
  maintainers?: Maintainer[];
  /** An icon URL. */
  icon?: string;
  /** `v1` or `v2`. */
  apiVersion: string;
  /** (v1) A values path that enables it as a dependency. */
  condition?: string;
  /** (v1) Tags that enable it as a dependency. */
  tags?: string;
  /** The version of the app it installs. */
  appVersion?: string;
  /** Whether the chart is deprecated. */
  deprecated?: boolean;
  /** Free-form notes. */
  annotations?: Record<string, string>;
  /** A SemVer range of Kubernetes versions it supports. */
  kubeVersion?: string;
  /** (v2) The charts it depends on. */
  dependencies?: Dependency[];
  /** `application` or `library`. */
  type?: string;
}

const aliasPattern = /^[a-zA-Z0-9_-]+$/;

/**
 * Whether `name` is a chart name Helm 3 accepts (one path component, not `.` or `..`) and that is
 * safe as a directory name on every platform (no `/`, no `\\`, nothing unprintable).
 */
export function isValidChartName(name: string): boolean {
  return name !== "" && name !== "." && name !== ".." && !/[/\\]/.test(name) &&
    sanitize(name) === name;
}

/** Helm's version grammar (Masterminds semver's NewVersion): `v1.2.3`, `1.2` and `1` pass too. */
const helmVersionPattern =
  /^v?([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;
const maxUint64 = 2n ** 64n - 1n;

/**
 * Whether Helm 3 accepts `version` as a chart version: SemVer with an optional leading `v` and
 * optional minor and patch numbers (each below 2^64), numeric pre-release parts without a leading
 * zero. `isStrictSemver` (versions.ts) is SemVer 2 proper, which tags must be to count as versions.
 */
export function isHelmVersion(version: string): boolean {
  const match = helmVersionPattern.exec(version);
  if (!match) return false;
  if (match.slice(1, 4).some((n) => n !== undefined && BigInt(n) > maxUint64)) return false;
  return !(match[4] ?? "").split(".").some((part) => /^0[0-9]+$/.test(part));
}

/** Text of printable ASCII alone, which {@link sanitize} leaves as it is. */
const printableAscii = /^[\x20-\x7e]*$/;

/**
 * Helm's sanitizeString: white space becomes a plain space, other characters that are not
 * printable (letters, marks, numbers, punctuation, symbols) are dropped. Printable ASCII, what
 * chart metadata mostly is, skips the Unicode classes: V8 builds them when they first run, ~4 ms
 * of CPU (a quarter of a small chart's `chart save` above Deno's own start).
 */
export function sanitize(text: string): string {
  if (printableAscii.test(text)) return text;
  return text.replace(/\p{White_Space}/gu, " ").replace(/[^\p{L}\p{M}\p{N}\p{P}\p{S} ]/gu, "");
}

type Fields = Record<string, unknown>;

/**
 * `fields` with each key that matches one of `known` case-insensitively renamed to it, the last
 * of repeated fields winning: how Go's JSON decoder fills Helm's structs.
 */
function canonical(fields: Fields, known: readonly string[]): Fields {
  const byLower = new Map(known.map((k) => [k.toLowerCase(), k]));
  const out: Fields = {};
  for (const [key, value] of Object.entries(fields)) {
    const name = byLower.get(key.toLowerCase()) ?? key;
    delete out[name];
    out[name] = value;
  }
  return out;
}

const metadataFields = [
  "name",
  "home",
  "sources",
  "version",
  "description",
  "keywords",
  "maintainers",
  "icon",
  "apiVersion",
  "condition",
  "tags",
  "appVersion",
  "deprecated",
  "annotations",
  "kubeVersion",
  "dependencies",
  "type",
] as const;
const maintainerFields = ["name", "email", "url"] as const;
const dependencyFields = [
  "name",
  "version",
  "repository",
  "condition",
  "tags",
  "enabled",
  "import-values",
  "export-values",
  "alias",
] as const;

/** Reads typed fields out of one mapping, throwing errors that name `source` and the field. */
class FieldReader {
  constructor(readonly source: string, readonly fields: Fields, readonly prefix = "") {}

  fail(field: string, problem: string): never {
    throw new ChartError(`${this.source}: ${this.prefix}${field} ${problem}`);
  }

  string(field: string): string | undefined {
    const value = this.fields[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value === "string") return value;
    if (typeof value === "boolean" || typeof value === "number") return String(value);
    this.fail(field, "must be a string");
  }

  strings(field: string): string[] | undefined {
    const value = this.fields[field];
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) this.fail(field, "must be a list of strings");
    const items = this.items(field, value);
    return value.map((_, i) => items.string(`[${i}]`) ?? "");
  }

  boolean(field: string): boolean | undefined {
    const value = this.fields[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "boolean") this.fail(field, "must be true or false");
    return value;
  }

  list(field: string): unknown[] | undefined {
    const value = this.fields[field];
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) this.fail(field, "must be a list");
    return value;
  }

  /** A mapping field; with `known`, its keys are matched to those names as Go's JSON does. */
  mapping(field: string, what: string, known?: readonly string[]): FieldReader | undefined {
    const value = this.fields[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "object" || Array.isArray(value)) {
      this.fail(field, `must be a mapping (${what})`);
    }
    const fields = known ? canonical(value as Fields, known) : value as Fields;
    return new FieldReader(this.source, fields, `${this.prefix}${field}.`);
  }

  /** The entries of a list of mappings with `known` fields; a null or non-mapping is an error. */
  entries(field: string, what: string, known: readonly string[]): FieldReader[] {
    const list = this.list(field) ?? [];
    const items = this.items(field, list);
    return list.map((_, i) =>
      items.mapping(`[${i}]`, what, known) ?? items.fail(`[${i}]`, "must not be empty")
    );
  }

  /** A reader over a list's items, keyed `[0]`, `[1]`, ... so errors read `field[0] ...`. */
  items(field: string, list: unknown[]): FieldReader {
    const fields = Object.fromEntries(list.map((v, i) => [`[${i}]`, v]));
    return new FieldReader(this.source, fields, `${this.prefix}${field}`);
  }
}

function clean(text: string | undefined): string | undefined {
  return text === undefined ? undefined : sanitize(text);
}

function cleanAll(list: string[] | undefined): string[] | undefined {
  return list?.map(sanitize);
}

/**
 * Validates chart metadata given as plain data (Chart.yaml parsed, or a config blob) and returns
 * it sanitized as Helm does. `source` names where it came from, e.g. `mychart/Chart.yaml`.
 */
export function validateMetadata(value: unknown, source: string): ChartMetadata {
  if (value === null || value === undefined) value = {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new ChartError(`${source}: must be a mapping of fields (apiVersion, name, version, ...)`);
  }
  const r = new FieldReader(source, canonical(value as Fields, metadataFields));

  // As Helm 3's loader: "Helm 2 accepted charts that did not provide an APIVersion", read as v1.
  const apiVersion = r.string("apiVersion") || "v1";
  const name = sanitize(r.string("name") ?? "");
  if (name === "") r.fail("name", "is required");
  if (!isValidChartName(name)) {
    r.fail("name", `"${name}" is invalid (one path component: no '/' or '\\', not '.' or '..')`);
  }
  const version = r.string("version") ?? "";
  if (version === "") r.fail("version", "is required");
  if (!isHelmVersion(version)) r.fail("version", `"${version}" is not SemVer`);
  const type = r.string("type");
  if (type && type !== "application" && type !== "library") {
    r.fail("type", `"${type}" is invalid (application or library)`);
  }

  const annotationsReader = r.mapping("annotations", "key: value strings");
  const annotations = annotationsReader &&
    Object.fromEntries(
      Object.keys(annotationsReader.fields).map((k) => [k, annotationsReader.string(k) ?? ""]),
    );

  return defined({
    name,
    home: clean(r.string("home")),
    sources: cleanAll(r.strings("sources")),
    version,
    description: clean(r.string("description")),
    keywords: cleanAll(r.strings("keywords")),
    maintainers: r.list("maintainers") &&
      r.entries("maintainers", "name, email, url", maintainerFields).map((m) =>
        defined({
          name: clean(m.string("name")),
          email: clean(m.string("email")),
          url: clean(m.string("url")),
        })
      ),
    icon: clean(r.string("icon")),
    apiVersion,
    condition: clean(r.string("condition")),
    tags: clean(r.string("tags")),
    appVersion: clean(r.string("appVersion")),
    deprecated: r.boolean("deprecated"),
    annotations,
    kubeVersion: clean(r.string("kubeVersion")),
    dependencies: r.list("dependencies") && validateDependencies(r),
    type,
  });
}

/** The object without its undefined fields, so metadata holds only what the chart sets. */
function defined<T extends object>(fields: T): T {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as T;
}

function validateDependencies(r: FieldReader): Dependency[] {
  const seen = new Set<string>();
  const what = "name, version, repository, ...";
  return r.entries("dependencies", what, dependencyFields).map((d, i) => {
    const name = sanitize(d.string("name") ?? ""); // Helm 3 lets a dependency go without a name
    const alias = d.string("alias");
    if (alias && !aliasPattern.test(alias)) {
      d.fail("alias", `"${alias}" is invalid (letters, digits, '_' and '-' only)`);
    }
    const key = alias || name;
    if (seen.has(key)) {
      r.fail(`dependencies[${i}]`, `repeats the name or alias "${key}"`);
    }
    seen.add(key);
    return defined({
      name,
      version: clean(d.string("version")),
      repository: sanitize(d.string("repository") ?? ""),
      condition: clean(d.string("condition")),
      tags: cleanAll(d.strings("tags")),
      enabled: d.boolean("enabled"),
      "import-values": d.list("import-values"),
      "export-values": d.list("export-values"),
      alias,
    });
  });
}
