/**
 * h3 and the real ORAS CLI (built by scripts/peers.sh) on one real registry: oras reads what h3
 * pushed, h3 pulls a chart oras pushed in Helm's layout. Skipped, saying why, when oras is not built.
 */
import assert from "node:assert/strict";
import { digestOf } from "../core/oci/descriptor.ts";
import { helmConfig, helmContent, ociManifest } from "../core/oci/media_types.ts";
import { fixtureChart, readTree } from "./helpers/charts.ts";
import { expectCode, type RunResult, type Sandbox, sandbox } from "./helpers/cli.ts";
import { runPeer, testWithPeers } from "./helpers/peers.ts";
import { startRegistry } from "./helpers/registry.ts";

function oras(sb: Sandbox, args: string[]): Promise<RunResult> {
  return runPeer("oras", [...args, "--plain-http"], {
    cwd: sb.dir,
    env: { HOME: sb.dir, DOCKER_CONFIG: sb.env.DOCKER_CONFIG },
  });
}

testWithPeers(
  "oras reads what h3 pushed; h3 pulls what oras pushed in Helm's layout",
  ["oras"],
  async () => {
    await using registry = await startRegistry();
    await using sb = await sandbox();
    const ref = `${registry.host}/charts/mychart:2.7.0`;
    expectCode(await sb.run(["chart", "save", fixtureChart, ref]), 0);
    const pushed = expectCode(await sb.run(["chart", "push", ref]), 0).stdout;
    const [, meta, content] = pushed.match(/Meta: (\S+)\nContent: (\S+)/)!;
    const cacheIndex = JSON.parse(await Deno.readTextFile(`${sb.helmHome}/registry/index.json`));
    const blob = (digest: string) =>
      Deno.readFile(`${sb.helmHome}/registry/blobs/sha256/${digest.slice(7)}`);

    // oras manifest fetch: the manifest h3 wrote, byte for byte.
    const fetched = expectCode(await oras(sb, ["manifest", "fetch", ref]), 0).stdout;
    assert.equal(await digestOf(new TextEncoder().encode(fetched)), cacheIndex.manifests[0].digest);
    const manifest = JSON.parse(fetched);
    assert.equal(manifest.mediaType, ociManifest);
    assert.deepEqual([manifest.config.mediaType, manifest.config.digest], [helmConfig, meta]);
    assert.deepEqual(
      manifest.layers.map((l: { mediaType: string; digest: string }) => [l.mediaType, l.digest]),
      [[helmContent, content]],
    );

    // oras pull reads the manifest; Helm's layers have no file name, so it writes them nowhere,
    // exactly as for a chart helm pushed. oras blob fetch and oras repo tags read the rest.
    const pulled = expectCode(await oras(sb, ["pull", ref, "-o", "oras-out"]), 0);
    assert.match(pulled.stdout + pulled.stderr, /Skipped pulling layers without file name/);
    const short = cacheIndex.manifests[0].digest.slice(7, 19);
    const manifestType = ociManifest.replaceAll(".", "\\.").replace("+", "\\+");
    assert.match(pulled.stdout, new RegExp(`^Downloaded +${short} ${manifestType}$`, "m"));
    for (const digest of [meta, content]) {
      const at = `${registry.host}/charts/mychart@${digest}`;
      expectCode(await oras(sb, ["blob", "fetch", at, "--output", `${sb.dir}/blob`]), 0);
      assert.deepEqual(await Deno.readFile(`${sb.dir}/blob`), await blob(digest));
    }
    const tags = expectCode(await oras(sb, ["repo", "tags", `${registry.host}/charts/mychart`]), 0);
    assert.equal(tags.stdout, "2.7.0\n");

    // oras push in Helm's layout (config + content layer with Helm's media types; oras adds a file
    // name to the layer): h3 pulls it into a fresh cache, and its export is the chart h3 saved.
    expectCode(
      await sb.run([
        "chart",
        "pull",
        `oci://${registry.host}/charts/mychart`,
        "--version",
        "2.7.0",
      ]),
      0,
    );
    await Deno.writeFile(`${sb.dir}/config.json`, await blob(meta));
    const other = `${registry.host}/fromoras/mychart:2.7.0`;
    expectCode(
      await oras(sb, [
        "push",
        other,
        "--config",
        `config.json:${helmConfig}`,
        `mychart-2.7.0.tgz:${helmContent}`,
      ]),
      0,
    );
    await using fresh = await sandbox();
    const again = expectCode(await fresh.run(["chart", "pull", other]), 0).stdout;
    assert.match(again, new RegExp(`^${meta.slice(7, 14)}: Saving meta`, "m"));
    assert.match(again, new RegExp(`^${content.slice(7, 14)}: Saving content`, "m"));
    expectCode(await fresh.run(["chart", "export", other, "-d", "out"]), 0);
    expectCode(await sb.run(["chart", "export", ref, "-d", "out"]), 0);
    assert.deepEqual(
      await readTree(`${fresh.dir}/out/mychart`),
      await readTree(`${sb.dir}/out/mychart`),
    );
  },
);
