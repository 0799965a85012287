/**
 * OCI image layouts on disk as Targets for in-process tests: a fresh layout in a temp folder, and
 * a chart-shaped manifest (a Helm config and one content layer) stored in one.
 */
import { OciLayout } from "../../core/cache/layout.ts";
import {
  type Descriptor,
  encodeManifest,
  type Manifest,
  manifestDescriptor,
} from "../../core/oci/descriptor.ts";
import { annotations, helmConfig, helmContent } from "../../core/oci/media_types.ts";
import type { Target } from "../../core/target.ts";

const encoder = new TextEncoder();

/** A layout in a new temp folder (`dir`), closed and removed on dispose. */
export async function tempLayout(): Promise<{ layout: OciLayout; dir: string } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "h3-layout-" });
  const layout = await OciLayout.open(`${dir}/registry`);
  return {
    layout,
    dir: `${dir}/registry`,
    [Symbol.asyncDispose]: () => {
      layout[Symbol.dispose]();
      return Deno.remove(dir, { recursive: true });
    },
  };
}

/** A stored chart: its manifest's descriptor and its two blobs. */
export interface StoredChart {
  desc: Descriptor;
  config: Descriptor;
  layer: Descriptor;
}

/**
 * Stores a small chart-shaped manifest (config `{name, version}` + `content` as its layer) in
 * `layout`, untagged; `configMediaType` makes it something else than a chart.
 */
export async function storeChart(
  layout: OciLayout,
  name: string,
  version: string,
  content: string,
  configMediaType: string = helmConfig,
): Promise<StoredChart> {
  const config = await layout.ingest(
    ReadableStream.from([encoder.encode(JSON.stringify({ name, version, apiVersion: "v2" }))]),
    configMediaType,
  );
  const layer = await layout.ingest(ReadableStream.from([encoder.encode(content)]), helmContent);
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config,
    layers: [layer],
    annotations: { [annotations.created]: "2026-01-02T03:04:05Z" },
  };
  const bytes = encodeManifest(manifest);
  const desc = await manifestDescriptor(bytes);
  await layout.push(desc, ReadableStream.from([bytes]));
  return { desc, config, layer };
}

/**
 * `target` with every call of the methods copy uses (`resolve`, `fetch`, `exists`, `push`,
 * `stage`, `tag`) recorded as `name digest-or-reference`; a read of a small blob whole
 * (`fetchBytes`) is recorded as a `fetch`, as the read it is.
 */
export function recorded(target: OciLayout): { target: Target; calls: string[] } {
  const calls: string[] = [];
  const names = ["resolve", "fetch", "fetchBytes", "exists", "push", "stage", "tag"];
  const target_ = new Proxy(target, {
    get(t, key, receiver) {
      const value = Reflect.get(t, key, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (names.includes(String(key))) {
          const first = args[0] as Descriptor | string;
          const name = key === "fetchBytes" ? "fetch" : String(key);
          calls.push(`${name} ${typeof first === "string" ? first : first.digest}`);
        }
        return value.apply(t, args);
      };
    },
  });
  return { target: target_, calls };
}
