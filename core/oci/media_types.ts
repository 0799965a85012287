/** Media types h3 reads and writes: OCI, Docker, and Helm's chart types. @module */

/** OCI image manifest. */
export const ociManifest = "application/vnd.oci.image.manifest.v1+json";
/** OCI image index (a list of manifests; not a chart). */
export const ociIndex = "application/vnd.oci.image.index.v1+json";
/** Docker schema 2 manifest. */
export const dockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
/** Docker manifest list (not a chart). */
export const dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
/** The layout file's content marker. */
export const ociLayoutVersion = "1.0.0";

/** Helm chart config: Chart.yaml as JSON (the seed's "Meta"). */
export const helmConfig = "application/vnd.cncf.helm.config.v1+json";
/** Helm chart content: the packaged chart, a .tgz (the seed's "Content"). */
export const helmContent = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
/** Helm chart provenance file. */
export const helmProvenance = "application/vnd.cncf.helm.chart.provenance.v1.prov";
/** The content layer type Helm 3.0 wrote; accepted on pull. */
export const legacyHelmContent = "application/tar+gzip";

/** The empty JSON blob (`{}`) an artifact without a config points at. */
export const ociEmpty = "application/vnd.oci.empty.v1+json";
/** OCI image config (what cosign's signature manifests point at). */
export const ociImageConfig = "application/vnd.oci.image.config.v1+json";

/** Manifest media types h3 can fetch; sent as the Accept list. */
export const manifestMediaTypes: readonly string[] = [
  ociManifest,
  dockerManifest,
  ociIndex,
  dockerManifestList,
];

/** Whether a media type names a manifest (as opposed to a blob). */
export function isManifest(mediaType: string): boolean {
  return manifestMediaTypes.includes(mediaType);
}

/** Standard OCI annotation keys h3 sets or reads. */
export const annotations = {
  refName: "org.opencontainers.image.ref.name",
  created: "org.opencontainers.image.created",
  title: "org.opencontainers.image.title",
  version: "org.opencontainers.image.version",
  description: "org.opencontainers.image.description",
  /** h3's own index annotations, so `chart list` need not open every manifest. */
  contentDigest: "sh.h3.content.digest",
  contentSize: "sh.h3.content.size",
} as const;
