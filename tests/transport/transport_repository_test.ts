import assert from "node:assert/strict";
import { readAll } from "../../core/digest.ts";
import { DigestError, RegistryError } from "../../core/errors.ts";
import {
  type Descriptor,
  digestOf,
  encodeManifest,
  type Manifest,
  manifestDescriptor,
} from "../../core/oci/descriptor.ts";
import { helmConfig, helmContent, ociManifest } from "../../core/oci/media_types.ts";
import { connectRepository } from "../../core/transport/repository.ts";
import { startRegistry } from "../helpers/registry.ts";

async function blob(bytes: Uint8Array, mediaType: string): Promise<Descriptor> {
  return { mediaType, digest: await digestOf(bytes), size: bytes.byteLength };
}

function randomBytes(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
  return bytes;
}

const text = (s: string) => new TextEncoder().encode(s);
const stream = (bytes: Uint8Array) => ReadableStream.from([bytes]);

/** A small chart-shaped artifact: config, content and the manifest joining them. */
async function chart(content = randomBytes(300)) {
  const configBytes = text(JSON.stringify({ name: "demo", version: "1.0.0", apiVersion: "v2" }));
  const config = await blob(configBytes, helmConfig);
  const layer = await blob(content, helmContent);
  const manifest: Manifest = { schemaVersion: 2, mediaType: ociManifest, config, layers: [layer] };
  const manifestBytes = encodeManifest(manifest);
  return {
    configBytes,
    config,
    content,
    layer,
    manifestBytes,
    desc: await manifestDescriptor(manifestBytes),
  };
}

Deno.test("a repository takes blobs and a tagged manifest, then resolves, fetches and lists them", async () => {
  await using registry = await startRegistry();
  using repo = connectRepository(`${registry.host}/charts/demo`);
  const c = await chart();

  assert.equal(await repo.exists(c.config), false);
  await repo.push(c.config, stream(c.configBytes));
  await repo.push(c.layer, stream(c.content));
  assert.equal(await repo.exists(c.config), true);
  await repo.pushReference(c.desc, stream(c.manifestBytes), "1.0.0");
  await repo.tag(c.desc, "latest");

  const resolved = await repo.resolve("latest");
  assert.deepEqual(resolved, c.desc);
  assert.deepEqual(await repo.resolve(c.desc.digest), c.desc);
  assert.deepEqual(await readAll(await repo.fetch(resolved), 1 << 20), c.manifestBytes);
  assert.deepEqual(await readAll(await repo.fetch(c.layer), 1 << 20), c.content);
  assert.deepEqual((await Array.fromAsync(repo.tags())).sort(), ["1.0.0", "latest"]);
});

Deno.test("an unknown tag is a 404 RegistryError naming the reference", async () => {
  await using registry = await startRegistry();
  using repo = connectRepository(`${registry.host}/charts/missing`);
  await assert.rejects(repo.resolve("nope"), (error) => {
    assert.ok(error instanceof RegistryError);
    assert.equal(error.status, 404);
    assert.match(error.message, new RegExp(`${registry.host}/charts/missing:nope: not found`));
    return true;
  });
});

Deno.test("a blob that does not match its descriptor is never stored", async () => {
  await using registry = await startRegistry();
  using repo = connectRepository(`${registry.host}/charts/demo`);
  const c = await chart();
  const lie = { ...c.layer, digest: await digestOf(text("something else")) };
  await assert.rejects(repo.push(lie, stream(c.content)), DigestError);
  assert.equal(await repo.exists(lie), false);
});

Deno.test("a large blob goes up in PATCH chunks and comes back intact", async () => {
  await using registry = await startRegistry();
  const lines: string[] = [];
  using repo = connectRepository(`${registry.host}/charts/big`, { debug: (l) => lines.push(l) });
  const content = randomBytes(20 * 1024 * 1024 + 123);
  const desc = await blob(content, helmContent);
  const pieces = [];
  for (let i = 0; i < content.byteLength; i += 1_000_000) {
    pieces.push(content.subarray(i, i + 1_000_000));
  }
  await repo.push(desc, ReadableStream.from(pieces));
  assert.equal(lines.filter((l) => l.startsWith("> PATCH")).length, 3);
  const back = await readAll(await repo.fetch(desc), content.byteLength);
  assert.equal(await digestOf(back), desc.digest);
});

Deno.test("a blob is mounted from another repository of the same registry, not uploaded", async () => {
  await using registry = await startRegistry();
  const lines: string[] = [];
  using source = connectRepository(`${registry.host}/team-a/demo`);
  using target = connectRepository(`${registry.host}/team-b/demo`, { debug: (l) => lines.push(l) });
  const c = await chart();
  await source.push(c.layer, stream(c.content));
  assert.equal(await target.mount(c.layer, "team-a/demo"), true);
  assert.equal(await target.exists(c.layer), true);
  assert.equal(lines.filter((l) => /> (PUT|PATCH)/.test(l)).length, 0);

  // A mount the registry declines leaves an upload session that the push then uses.
  const other = await blob(text("not in team-a"), helmContent);
  assert.equal(await target.mount(other, "team-a/demo"), false);
  lines.length = 0;
  await target.push(other, stream(text("not in team-a")));
  assert.equal(lines.filter((l) => l.startsWith("> POST")).length, 0);
  assert.equal(await target.exists(other), true);
});

Deno.test("deleting a manifest removes it and its tags", async () => {
  await using registry = await startRegistry();
  using repo = connectRepository(`${registry.host}/charts/demo`);
  const c = await chart();
  await repo.push(c.config, stream(c.configBytes));
  await repo.push(c.layer, stream(c.content));
  await repo.pushReference(c.desc, stream(c.manifestBytes), "1.0.0");
  await repo.delete(c.desc);
  assert.equal(await repo.exists(c.desc), false);
  await assert.rejects(repo.resolve("1.0.0"), RegistryError);
});

Deno.test("a manifest whose bytes do not match its descriptor is not stored", async () => {
  await using registry = await startRegistry();
  using repo = connectRepository(`${registry.host}/charts/demo`);
  const c = await chart();
  await repo.push(c.config, stream(c.configBytes));
  await repo.push(c.layer, stream(c.content));
  const altered = c.manifestBytes.slice();
  altered[altered.length - 2] ^= 1; // same size, other bytes
  await assert.rejects(
    repo.pushReference(c.desc, stream(altered), "1.0.0"),
    (error) => error instanceof DigestError && /digest mismatch/.test(error.message),
  );
  // Bytes read and verified already are not hashed again, but still measured.
  await assert.rejects(
    repo.pushReference(c.desc, stream(c.manifestBytes.subarray(1)), "1.0.0", { verified: true }),
    (error) => error instanceof DigestError && /size mismatch/.test(error.message),
  );
  await assert.rejects(
    repo.resolve("1.0.0"),
    (error) => error instanceof RegistryError && error.status === 404,
  );
  await repo.pushReference(c.desc, stream(c.manifestBytes), "1.0.0", { verified: true });
  assert.deepEqual(await repo.resolve("1.0.0"), c.desc);
});
