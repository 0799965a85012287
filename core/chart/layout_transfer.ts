/**
 * Push and pull with an OCI layout (`oci:DIR[:REF]`) or layout archive (`oci-archive:FILE[:REF]`)
 * at the far end instead of a registry: the layout is opened as `chart copy` opens it (a Target;
 * a source only read), and the chart moves through the same `transfer` (push) or `downloadChart`
 * (pull, Helm's form: a layout has no registry name to file the chart under in the cache).
 * @module
 */
import { openLayoutLocation, parseLocation } from "../locations.ts";
import { LocationError, option, phrase, SettingError } from "../errors.ts";
import { formatReference, parseReference, versionToTag } from "../ref.ts";
import type { Target } from "../target.ts";
import { archiveSource, readChartArchive } from "./archive.ts";
import { isChartArchivePath } from "./archive_path.ts";
import { downloadChart, type DownloadOptions, type DownloadResult } from "./download.ts";
import { type ChartTransfer, type ChartTransferOptions, transfer } from "./transfer.ts";
import { resolveVersionTag, type VersionRequest } from "./versions.ts";
import { resolveCachedReference } from "./cached_ref.ts";

/** Parses `input` as a layout location; a registry reference is a `LocationError`. */
function layoutLocation(input: string) {
  const location = parseLocation(input);
  if (location.kind === "registry") {
    throw new LocationError({ location: input, problem: "notLayout" });
  }
  return location;
}

/** What a push into a layout did. */
export interface LayoutPushResult extends ChartTransfer {
  /** The layout as messages name it: `oci:DIR` or `oci-archive:FILE`. */
  layout: string;
  /** The ref name the chart is stored under in the layout. */
  reference: string;
}

/**
 * Copies the chart `srcRef` of `src` into the layout `dst` (created when missing; an archive is
 * written through a temp file and a rename once the chart is in), under the layout's REF or else
 * `defaultRef`; `source` names the chart in errors.
 */
export async function pushToLayout(
  src: Target,
  srcRef: string,
  dst: string,
  defaultRef: string | undefined,
  source: string,
  options: ChartTransferOptions = {},
): Promise<LayoutPushResult> {
  const location = layoutLocation(dst);
  const reference = location.reference ?? defaultRef;
  if (reference === undefined) {
    throw new LocationError({ location: dst, problem: "noReference", chart: source });
  }
  await using opened = await openLayoutLocation(location, false);
  const result = await transfer(src, srcRef, opened.layout, reference, source, options);
  await opened.commit();
  return { ...result, layout: opened.layout.label, reference };
}

/**
 * `push CHART layout`: the packaged chart file `chart` (`.tgz`, its `.prov` beside it carried too;
 * REF defaults to its version) or the cached chart `chart` names (untagged: as push picks it; REF
 * defaults to its tag) into the layout `dst`.
 */
export async function pushChartToLayout(
  cache: Target,
  chart: string,
  dst: string,
  options: ChartTransferOptions = {},
): Promise<LayoutPushResult> {
  if (await isChartArchivePath(chart)) {
    const source = await archiveSource(await readChartArchive(chart));
    return await pushToLayout(source, source.chartTag, dst, source.chartTag, chart, options);
  }
  const ref = await resolveCachedReference(parseReference(chart), cache);
  const full = formatReference(ref);
  await cache.resolve(full); // a chart not in the cache: no layout is made
  return await pushToLayout(cache, full, dst, ref.tag, full, options);
}

/** How `pullFromLayout` picks the chart and where it writes it. */
export interface LayoutPullOptions extends VersionRequest, Omit<DownloadOptions, "expectDigest"> {}

/** What a pull from a layout wrote. */
export interface LayoutPullResult extends DownloadResult {
  /** The layout as messages name it: `oci:DIR` or `oci-archive:FILE`. */
  layout: string;
  /** The ref name (or digest) read in the layout. */
  reference: string;
}

/**
 * Writes the chart the layout `src` holds under its REF (a ref name or `sha256:` digest; none:
 * the ref `version`/`devel` select, as pull picks a tag) into `options.destination` as
 * `NAME-VERSION.tgz`, or as `NAME/` with `untar`. The layout is only read.
 */
export async function pullFromLayout(
  src: string,
  options: LayoutPullOptions,
): Promise<LayoutPullResult> {
  const location = layoutLocation(src);
  await using opened = await openLayoutLocation(location, true);
  const { layout } = opened;
  const wanted = options.version?.trim();
  const given = location.reference;
  if (given && wanted && given !== wanted && given !== versionToTag(wanted)) {
    throw new SettingError(
      phrase`${src} names its ref already; ${option("version")} "${wanted}" differs`,
      {
        setting: "version",
        value: wanted,
      },
    );
  }
  const reference = given ?? await resolveVersionTag(layout, layout.label, options);
  const digest = reference.startsWith("sha256:") ? reference : undefined;
  const result = await downloadChart(layout, reference, { ...options, expectDigest: digest });
  return { ...result, layout: layout.label, reference };
}
