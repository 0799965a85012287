/**
 * Referrers written into a registry by hand, as other tools store them (not through h3's referrers
 * code): an artifact with `subject` listed in the referrers tag schema (as oras does on registry:2),
 * and a manifest under cosign's `sha256-<hex>.sig` tag.
 * @module
 */
import {
  type Descriptor,
  encodeManifest,
  type Manifest,
  manifestDescriptor,
} from "../../core/oci/descriptor.ts";
import { encodeIndex } from "../../core/oci/index.ts";
import { ociEmpty, ociIndex, ociManifest } from "../../core/oci/media_types.ts";
import type { Repository } from "../../core/transport/repository.ts";
import { type FaultProxy, startFaultProxy } from "./fault_proxy.ts";
import { pushBlob } from "./remote_charts.ts";

const encoder = new TextEncoder();

/** Stores manifest bytes under `reference` (a tag or its digest); returns the descriptor. */
export async function putManifestBytes(
  repo: Repository,
  bytes: Uint8Array,
  reference?: string,
  mediaType = ociManifest,
): Promise<Descriptor> {
  const desc = await manifestDescriptor(bytes, mediaType);
  await repo.pushReference(desc, ReadableStream.from([bytes]), reference ?? desc.digest);
  return desc;
}

/**
 * Pushes an artifact of `artifactType` with one layer `body` whose subject is `subject`, by digest
 * only (no tag). With `tagSchema`, also adds it to the `sha256-<hex>` index of `subject`, as a
 * client does for a registry without the referrers API. Returns its descriptor as listed.
 */
export async function pushArtifact(
  repo: Repository,
  subject: Descriptor,
  artifactType: string,
  body: string,
  options: { tagSchema?: boolean; annotations?: Record<string, string> } = {},
): Promise<Descriptor> {
  const config = await pushBlob(repo, encoder.encode("{}"), ociEmpty);
  const desc = await pushArtifactManifest(repo, artifactType, body, config, {
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations: options.annotations,
  });
  const listed = { ...desc, annotations: options.annotations };
  if (options.tagSchema) await addToTagSchema(repo, subject, listed);
  return listed;
}

/**
 * Pushes an artifact manifest of `artifactType` with `body` as its one layer and `config` (with
 * `extra` fields such as `subject`); returns its descriptor, artifactType included.
 */
async function pushArtifactManifest(
  repo: Repository,
  artifactType: string,
  body: string,
  config: Descriptor,
  extra: Partial<Manifest> = {},
): Promise<Descriptor> {
  const layer = await pushBlob(repo, encoder.encode(body), artifactType);
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: ociManifest,
    artifactType,
    config,
    layers: [layer],
    ...extra,
  };
  return { ...await putManifestBytes(repo, encodeManifest(manifest)), artifactType };
}

/** Adds `listed` to the referrers tag schema index (`sha256-<hex>`) of `subject`. */
async function addToTagSchema(repo: Repository, subject: Descriptor, listed: Descriptor) {
  const tag = subject.digest.replace(":", "-");
  const old = await repo.fetchReference(tag).then(
    (got) => JSON.parse(new TextDecoder().decode(got.bytes)).manifests as Descriptor[],
    () => [],
  );
  const index = { schemaVersion: 2 as const, mediaType: ociIndex, manifests: [...old, listed] };
  await putManifestBytes(repo, encodeIndex(index), tag, ociIndex);
}

/**
 * Pushes a referrer that is an image index (an SBOM per platform, as some build tools attach):
 * one manifest of `artifactType` per body (no subject), then an index of `artifactType` listing
 * them with `subject`, by digest; with `tagSchema` listed in the subject's tag schema, with
 * `tag` stored under that tag instead (cosign's `.att` form). Returns its descriptor and children.
 */
export async function pushIndexArtifact(
  repo: Repository,
  subject: Descriptor,
  artifactType: string,
  bodies: string[],
  options: { tagSchema?: boolean; tag?: string } = {},
): Promise<{ listed: Descriptor; children: Descriptor[] }> {
  const config = await pushBlob(repo, encoder.encode("{}"), ociEmpty);
  const children: Descriptor[] = [];
  for (const body of bodies) {
    children.push(await pushArtifactManifest(repo, artifactType, body, config));
  }
  const index = {
    schemaVersion: 2 as const,
    mediaType: ociIndex,
    artifactType,
    manifests: children,
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
  };
  const desc = await putManifestBytes(repo, encodeIndex(index), options.tag, ociIndex);
  const listed = { ...desc, artifactType };
  if (options.tagSchema) await addToTagSchema(repo, subject, listed);
  return { listed, children };
}

/**
 * Pushes a manifest in cosign's classic signature form under `sha256-<hex>.sig` for `subject`:
 * an OCI image config and one simple-signing layer `payload` carrying `signature` (base64) as
 * cosign's annotation.
 */
export async function pushCosignTag(
  repo: Repository,
  subject: Descriptor,
  payload: Uint8Array,
  signature: string,
  suffix = ".sig",
  annotations: Record<string, string> = {},
): Promise<Descriptor> {
  const config = await pushBlob(
    repo,
    encoder.encode(
      '{"architecture":"","os":"","config":{},"rootfs":{"type":"layers","diff_ids":[]}}',
    ),
    "application/vnd.oci.image.config.v1+json",
  );
  const layer = await pushBlob(repo, payload, "application/vnd.dev.cosign.simplesigning.v1+json");
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: ociManifest,
    config,
    layers: [{
      ...layer,
      annotations: { "dev.cosignproject.cosign/signature": signature, ...annotations },
    }],
  };
  return await putManifestBytes(
    repo,
    encodeManifest(manifest),
    subject.digest.replace(":", "-") + suffix,
  );
}

/**
 * A front for registry:2 that adds the OCI 1.1 referrers API, for when distribution v3 is not
 * built: manifests pushed with `subject` are recorded (and answered with `OCI-Subject`), and
 * `GET /v2/<name>/referrers/<digest>` lists them, applying the `artifactType` filter.
 */
export function referrersFront(upstream: string): FaultProxy {
  const listed = new Map<string, Descriptor[]>();
  return startFaultProxy(upstream, async ({ request, url, body, forward }) => {
    const api = /^\/v2\/(.+)\/referrers\/(sha256:[a-f0-9]{64})$/.exec(url.pathname);
    if (api && request.method === "GET") {
      const type = url.searchParams.get("artifactType");
      const all = listed.get(`${api[1]}@${api[2]}`) ?? [];
      const manifests = type ? all.filter((d) => d.artifactType === type) : all;
      return new Response(JSON.stringify({ schemaVersion: 2, mediaType: ociIndex, manifests }), {
        headers: {
          "content-type": ociIndex,
          ...(type ? { "oci-filters-applied": "artifactType" } : {}),
        },
      });
    }
    const put = /^\/v2\/(.+)\/manifests\/[^/]+$/.exec(url.pathname);
    if (!put || request.method !== "PUT") return undefined;
    const bytes = body ?? new Uint8Array();
    const manifest = JSON.parse(new TextDecoder().decode(bytes));
    const response = await forward();
    if (!response.ok || !manifest.subject) return response;
    const desc = await manifestDescriptor(bytes, manifest.mediaType);
    const key = `${put[1]}@${manifest.subject.digest}`;
    const list = listed.get(key) ?? [];
    if (!list.some((d) => d.digest === desc.digest)) {
      list.push({
        ...desc,
        artifactType: manifest.artifactType ?? manifest.config?.mediaType,
        annotations: manifest.annotations,
      });
    }
    listed.set(key, list);
    const headers = new Headers(response.headers);
    headers.set("oci-subject", manifest.subject.digest);
    return new Response(response.body, { status: response.status, headers });
  });
}
