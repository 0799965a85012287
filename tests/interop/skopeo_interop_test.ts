import assert from "node:assert/strict";
import { digestOf } from "../../core/oci/descriptor.ts";
import { helmConfig, helmContent, ociManifest } from "../../core/oci/media_types.ts";
import { fixtureChart, readTree } from "../helpers/charts.ts";
import { expectCode, type Sandbox, sandbox } from "../helpers/cli.ts";
import { startRegistry } from "../helpers/registry.ts";

async function skopeo(sb: Sandbox, args: string[]): Promise<Uint8Array> {
  const out = await new Deno.Command("skopeo", {
    args,
    env: { HOME: sb.dir, REGISTRY_AUTH_FILE: `${sb.dir}/skopeo-auth.json` },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`skopeo ${args.join(" ")} failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
  return out.stdout;
}

Deno.test("skopeo reads and copies what h3 pushed, and h3 pulls what skopeo pushed", async () => {
  await using registry = await startRegistry();
  await using sb = await sandbox();
  const ref = `${registry.host}/myrepo/mychart:latest`;
  expectCode(await sb.run(["chart", "save", fixtureChart, ref]), 0);
  const pushed = expectCode(await sb.run(["chart", "push", ref]), 0).stdout;
  const [, meta, content] = pushed.match(/Meta: (\S+)\nContent: (\S+)/)!;

  // skopeo inspect --raw: the manifest h3 wrote, byte for byte, with Helm's media types.
  const raw = await skopeo(sb, ["inspect", "--raw", "--tls-verify=false", `docker://${ref}`]);
  const manifest = JSON.parse(new TextDecoder().decode(raw));
  assert.equal(manifest.mediaType, ociManifest);
  assert.deepEqual(manifest.config, {
    mediaType: helmConfig,
    digest: meta,
    size: manifest.config.size,
  });
  assert.equal(manifest.layers.length, 1);
  assert.equal(manifest.layers[0].mediaType, helmContent);
  assert.equal(manifest.layers[0].digest, content);
  assert.equal(manifest.annotations["org.opencontainers.image.title"], "mychart");
  const cached = JSON.parse(expectCode(await sb.run(["chart", "list", "-o", "json"]), 0).stdout);
  const cacheIndex = JSON.parse(await Deno.readTextFile(`${sb.helmHome}/registry/index.json`));
  assert.equal(cached.length, 1);
  assert.equal(await digestOf(raw), cacheIndex.manifests[0].digest);

  // skopeo copy to an OCI layout: the blobs are the cache's blobs.
  const layout = `${sb.dir}/layout`;
  await skopeo(sb, ["copy", "--src-tls-verify=false", `docker://${ref}`, `oci:${layout}:chart`]);
  for (const digest of [meta, content]) {
    const hex = digest.slice("sha256:".length);
    assert.deepEqual(
      await Deno.readFile(`${layout}/blobs/sha256/${hex}`),
      await Deno.readFile(`${sb.helmHome}/registry/blobs/sha256/${hex}`),
    );
  }

  // skopeo pushes from that layout to a new repository; h3 pulls it into an empty cache.
  const other = `${registry.host}/fromskopeo/mychart:2.7.0`;
  await skopeo(sb, ["copy", "--dest-tls-verify=false", `oci:${layout}:chart`, `docker://${other}`]);
  await using fresh = await sandbox();
  const pulled = expectCode(await fresh.run(["chart", "pull", other]), 0).stdout;
  assert.match(pulled, new RegExp(`^${meta.slice(7, 14)}: Saving meta`, "m"));
  assert.match(pulled, new RegExp(`^${content.slice(7, 14)}: Saving content`, "m"));
  assert.match(pulled, /^Status: Downloaded newer chart for /m);
  expectCode(await fresh.run(["chart", "export", other, "-d", "out"]), 0);
  expectCode(await sb.run(["chart", "export", ref, "-d", "out"]), 0);
  assert.deepEqual(
    await readTree(`${fresh.dir}/out/mychart`),
    await readTree(`${sb.dir}/out/mychart`),
  );
});
