/**
 * h3 and the real ORAS CLI (built by scripts/peers.sh) on one real registry: oras reads what h3
 * pushed, h3 pulls a chart oras pushed in Helm's layout. Skipped, saying why, when oras is not built.
 */
import assert from "node:assert/strict";
import { digestOf } from "../../core/oci/descriptor.ts";
import { helmConfig, helmContent, ociManifest } from "../../core/oci/media_types.ts";
import { connectRepository } from "../../core/transport/repository.ts";
import { fixtureChart, readTree } from "../helpers/charts.ts";
import { ecKeyPair } from "../helpers/sigstore.ts";
import { expectCode, type RunResult, type Sandbox, sandbox } from "../helpers/cli.ts";
import { peerMissing, runPeer, testWithPeers } from "../helpers/peers.ts";
import { registryKinds, startRegistry } from "../helpers/registry.ts";

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

/** A referrers tree as `oras discover --format json` prints it, cut to what both tools show. */
interface Discovered {
  digest: string;
  artifactType?: string;
  referrers?: Discovered[];
}

/** [artifactType, digest, nested...] of a discovered tree, for comparing. */
function shape(tree: Discovered[]): unknown[] {
  return tree.map((r) => [r.artifactType, r.digest, shape(r.referrers ?? [])]);
}

for (const impl of registryKinds) {
  const missing = impl.missing || peerMissing("oras");
  Deno.test({
    name: `oras discover shows what h3 chart copy --referrers carried ${impl.label}` +
      (missing && !impl.missing ? ` (${missing})` : ""),
    ignore: missing !== false,
    fn: async () => {
      await using source = await startRegistry();
      await using mirror = await impl.start();
      await using sb = await sandbox();
      const ref = `${source.host}/charts/mychart:2.7.0`;
      expectCode(await sb.run(["chart", "save", fixtureChart, ref]), 0);
      expectCode(await sb.run(["chart", "push", ref]), 0);
      // Referrers made by oras itself (an SBOM, and a signature of the SBOM: nested) and one by
      // h3 (a Sigstore bundle signature with a key made by openssl).
      await Deno.writeTextFile(`${sb.dir}/sbom.json`, '{"spdxVersion":"SPDX-2.3"}');
      const attach = async (subject: string, type: string, file: string) => {
        const out = expectCode(
          await oras(sb, ["attach", subject, "--artifact-type", type, file, "--format", "json"]),
          0,
        );
        return JSON.parse(out.stdout).digest as string;
      };
      const sbom = await attach(ref, "application/spdx+json", "sbom.json");
      await Deno.writeTextFile(`${sb.dir}/sbom.sig`, "signature");
      await attach(`${source.host}/charts/mychart@${sbom}`, "application/x-sbom-sig", "sbom.sig");
      const keys = await ecKeyPair(sb.dir);
      expectCode(await sb.run(["chart", "sign", ref, "--key", keys.private, "--bundle"]), 0);
      const before = JSON.parse(
        expectCode(await oras(sb, ["discover", ref, "--format", "json"]), 0).stdout,
      );
      assert.equal(before.referrers.length, 2);
      const sbomNode = before.referrers.find((r: Discovered) => r.digest === sbom);
      assert.equal(sbomNode.referrers.length, 1, "the SBOM's signature, nested");

      const dst = `${mirror.host}/mirror/mychart`;
      const copied = expectCode(await sb.run(["chart", "copy", ref, dst, "--referrers"]), 0);
      assert.match(copied.stdout, /referrers: 3 copied, 0 up to date$/m);
      const after = JSON.parse(
        expectCode(await oras(sb, ["discover", `${dst}:2.7.0`, "--format", "json"]), 0).stdout,
      );
      assert.equal(after.digest, before.digest);
      const sorted = (tree: Discovered[]) =>
        shape(tree).sort((a, b) => String(a).localeCompare(String(b)));
      assert.deepEqual(sorted(after.referrers), sorted(before.referrers));

      // Neither registry:2 nor distribution v3.1.2 serves the referrers API: oras, told to use
      // it, fails; h3 and oras (by default) use the tag schema there.
      const viaApi = await oras(sb, [
        "discover",
        `${dst}:2.7.0`,
        "--distribution-spec",
        "v1.1-referrers-api",
      ]);
      assert.notEqual(viaApi.code, 0, "no referrers API");
      const api = await fetch(`${mirror.url}/v2/mirror/mychart/referrers/${before.digest}`);
      assert.equal(api.status, 404);
      await api.body?.cancel();
      using repo = connectRepository(dst);
      const tags = await Array.fromAsync(repo.tags());
      assert.ok(tags.includes(before.digest.replace(":", "-")), "the tag schema index");
    },
  });
}
