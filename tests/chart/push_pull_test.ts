import assert from "node:assert/strict";
import { type Descriptor, digestOf, encodeManifest } from "../../core/oci/descriptor.ts";
import {
  helmConfig,
  helmProvenance,
  legacyHelmContent,
  ociManifest,
} from "../../core/oci/media_types.ts";
import { connectRepository } from "../../core/transport/repository.ts";
import { fileEntry, fixtureChart, readTree, tgz } from "../helpers/charts.ts";
import { expectCode, type Sandbox, sandbox } from "../helpers/cli.ts";
import { type StartRegistry, startRegistry, testEachRegistry } from "../helpers/registry.ts";
import { startTokenIssuer } from "../helpers/token_issuer.ts";

const sha = "sha256:[0-9a-f]{64}";
const short = "[0-9a-f]{7}";
const size = "\\d+(\\.\\d)? (B|KiB|MiB)";
const text = (s: string) => new TextEncoder().encode(s);

/** Asserts output lines one by one against regular expressions (whole-line matches). */
function assertLines(output: string, patterns: string[]): void {
  const lines = output.trimEnd().split("\n");
  assert.equal(lines.length, patterns.length, `lines:\n${output}`);
  lines.forEach((line, i) => assert.match(line, new RegExp(`^${patterns[i]}$`), output));
}

const summary = ["Name: mychart", "Version: 2\\.7\\.0", `Meta: ${sha}`, `Content: ${sha}`];

async function saveFixture(sb: Sandbox, ref: string) {
  expectCode(await sb.run(["chart", "save", fixtureChart, ref]), 0);
}

async function push(
  bytes: Uint8Array,
  mediaType: string,
  repo: ReturnType<typeof connectRepository>,
) {
  const desc: Descriptor = { mediaType, digest: await digestOf(bytes), size: bytes.byteLength };
  await repo.push(desc, ReadableStream.from([bytes]));
  return desc;
}

/** Pushes a manifest joining `config` and `layers` under `tag`; returns its digest. */
async function pushManifest(
  repo: ReturnType<typeof connectRepository>,
  config: Descriptor,
  layers: Descriptor[],
  tag: string,
) {
  const bytes = encodeManifest({ schemaVersion: 2, mediaType: ociManifest, config, layers });
  const desc = { mediaType: ociManifest, digest: await digestOf(bytes), size: bytes.byteLength };
  await repo.pushReference(desc, ReadableStream.from([bytes]), tag);
  return desc.digest;
}

async function walkthrough(start: StartRegistry) {
  await using registry = await start();
  await using sb = await sandbox();
  const ref = `${registry.host}/myrepo/mychart:latest`;
  const repo = `${registry.host}/myrepo/mychart`.replaceAll(".", "\\.");
  const refPattern = ref.replaceAll(".", "\\.");

  await saveFixture(sb, ref);
  const list = expectCode(await sb.run(["chart", "list"]), 0);
  assert.match(list.stdout, new RegExp(`^${refPattern} +mychart +2\\.7\\.0 +${short} `, "m"));
  expectCode(await sb.run(["chart", "export", ref, "-d", "before"]), 0);

  const pushed = expectCode(await sb.run(["chart", "push", ref]), 0);
  assertLines(pushed.stdout, [
    `The push refers to repository \\[${repo}\\]`,
    ...summary,
    `latest: pushed to remote \\(2 layers, ${size} total\\)`,
  ]);
  assert.equal(pushed.stderr, "");
  const [, meta, content] = pushed.stdout.match(/Meta: (\S+)\nContent: (\S+)/)!;
  const metaSize = (await Deno.stat(`${sb.helmHome}/registry/blobs/sha256/${meta.slice(7)}`)).size;
  const contentSize =
    (await Deno.stat(`${sb.helmHome}/registry/blobs/sha256/${content.slice(7)}`)).size;
  assert.match(pushed.stdout, new RegExp(`\\(2 layers, ${metaSize + contentSize} B total\\)`));

  assertLines(expectCode(await sb.run(["chart", "remove", ref]), 0).stdout, ["latest: removed"]);

  const pulled = expectCode(await sb.run(["chart", "pull", ref]), 0);
  assertLines(pulled.stdout, [
    `latest: Pulling from ${repo}`,
    `${meta.slice(7, 14)}: Saving meta \\(${metaSize} B\\)`,
    `${content.slice(7, 14)}: Saving content \\(${contentSize} B\\)`,
    "Name: mychart",
    "Version: 2\\.7\\.0",
    `Meta: ${meta}`,
    `Content: ${content}`,
    `Status: Downloaded newer chart for ${refPattern}`,
  ]);
  const again = expectCode(await sb.run(["chart", "pull", ref]), 0);
  assertLines(again.stdout, [
    `latest: Pulling from ${repo}`,
    ...summary,
    `Status: Chart is up to date for ${refPattern}`,
  ]);

  expectCode(await sb.run(["chart", "export", ref, "-d", "after"]), 0);
  assert.deepEqual(
    await readTree(`${sb.dir}/after/mychart`),
    await readTree(`${sb.dir}/before/mychart`),
  );
}
testEachRegistry(
  "the seed walkthrough: save, list, export, push, remove, pull, export",
  walkthrough,
);

Deno.test("many refs run at once; one failing leaves the others done and exits 3", async () => {
  await using registry = await startRegistry();
  await using sb = await sandbox();
  const refs = ["a", "b", "c"].map((name) => `${registry.host}/team/${name}:1.0.0`);
  for (const ref of refs) await saveFixture(sb, ref);
  const missing = `${registry.host}/team/never-saved:1.0.0`;
  const result = expectCode(
    await sb.run(["chart", "push", refs[0], missing, refs[1], refs[2], "--concurrency", "2"]),
    3,
  );
  // Each ref's lines stay together; the missing one got no further than its first line.
  const blocks = result.stdout.trimEnd().split(/\n(?=The push refers)/);
  assert.equal(blocks.length, 4);
  const done = blocks.filter((block) => !block.includes("never-saved"));
  assert.equal(done.length, 3);
  for (const block of done) {
    assertLines(block, [
      `The push refers to repository \\[.*\\]`,
      ...summary,
      `1\\.0\\.0: pushed to remote \\(2 layers, ${size} total\\)`,
    ]);
  }
  assert.match(result.stderr, new RegExp(`^Error: .*${missing}.* not found in the cache`, "m"));
  assert.match(result.stderr, /^Error: 1 of 4 refs failed: /m);
  for (const name of ["a", "b", "c"]) {
    using repo = connectRepository(`${registry.host}/team/${name}`);
    await repo.resolve("1.0.0");
  }
  expectCode(await sb.run(["chart", "pull", "--concurrency", "0", refs[0]]), 2);
});

async function pinsAndCarries(start: StartRegistry) {
  await using registry = await start();
  await using sb = await sandbox();
  using repo = connectRepository(`${registry.host}/old/legacy`);
  const config = await push(
    text('{"name":"legacy","version":"0.1.0","apiVersion":"v1"}'),
    helmConfig,
    repo,
  );
  const content = await push(
    await tgz([fileEntry("legacy/Chart.yaml", "apiVersion: v1\nname: legacy\nversion: 0.1.0\n")]),
    legacyHelmContent,
    repo,
  );
  const prov = await push(text("-----BEGIN PGP SIGNED MESSAGE-----\n"), helmProvenance, repo);
  const digest = await pushManifest(repo, config, [content, prov], "0.1.0");

  const ref = `${registry.host}/old/legacy@${digest}`;
  const pulled = expectCode(await sb.run(["chart", "pull", ref]), 0);
  assert.match(
    pulled.stdout,
    /: Saving meta \(\d+ B\)\n.*: Saving content .*\n.*: Saving provenance /,
  );
  assert.match(pulled.stdout, /^Name: legacy$/m);
  expectCode(await sb.run(["chart", "export", ref, "-d", "out"]), 0);
  assert.ok((await Deno.stat(`${sb.dir}/out/legacy/Chart.yaml`)).isFile);

  // Pushed back, the provenance layer counts: 3 layers.
  const again = expectCode(await sb.run(["chart", "push", ref]), 0);
  assert.match(
    again.stdout,
    /^sha256:[0-9a-f]{64}: already on remote, nothing pushed \(3 layers, \d+ B total\)$/m,
  );
  const wrongPin = `${registry.host}/old/legacy@sha256:${"0".repeat(64)}`;
  expectCode(await sb.run(["chart", "pull", wrongPin]), 1);
}
testEachRegistry(
  "a digest pins the pull; a Helm 3.0 legacy layer and a provenance layer are carried",
  pinsAndCarries,
);

Deno.test("what is not a Helm chart is refused by media type, and nothing enters the cache", async () => {
  await using registry = await startRegistry();
  await using sb = await sandbox();
  using repo = connectRepository(`${registry.host}/images/app`);
  const config = await push(text("{}"), "application/vnd.oci.image.config.v1+json", repo);
  const layer = await push(text("layer"), "application/vnd.oci.image.layer.v1.tar+gzip", repo);
  await pushManifest(repo, config, [layer], "1.0");
  const ref = `${registry.host}/images/app:1.0`;
  const result = expectCode(await sb.run(["chart", "pull", ref]), 1);
  assert.equal(
    result.stderr.trim(),
    `Error: ${ref}: not a Helm chart: config media type is "application/vnd.oci.image.config.v1+json"`,
  );
  const list = expectCode(await sb.run(["chart", "list"]), 0);
  assert.equal(list.stdout.trim().split("\n").length, 1);
  const blobs = await Array.fromAsync(Deno.readDir(`${sb.helmHome}/registry/blobs/sha256`))
    .catch(() => []);
  assert.deepEqual(blobs, []);
});

Deno.test("push and pull through a token service with the user's Docker credentials", async () => {
  await using issuer = await startTokenIssuer({
    users: { alice: "secret" },
    acl: [
      { repository: "team/mychart", actions: ["pull", "push"], user: "alice" },
      { repository: "team/mychart", actions: ["pull"] },
    ],
  });
  await using registry = await startRegistry({
    auth: {
      token: {
        realm: issuer.realm,
        service: issuer.service,
        issuer: issuer.issuer,
        rootcertbundle: issuer.rootcertbundle,
      },
    },
  });
  await using sb = await sandbox();
  const ref = `${registry.host}/team/mychart:1.0.0`;
  await saveFixture(sb, ref);

  const anonymous = expectCode(await sb.run(["chart", "push", ref]), 1);
  assert.equal(
    anonymous.stderr,
    `Error: ${ref}: ${registry.host} denied access for starting a blob upload to team/mychart ` +
      `(insufficient_scope); check your credentials ("h3 registry login ${registry.host}")\n`,
  );

  await Deno.mkdir(sb.env.DOCKER_CONFIG, { recursive: true });
  await Deno.writeTextFile(
    `${sb.env.DOCKER_CONFIG}/config.json`,
    JSON.stringify({ auths: { [registry.host]: { auth: btoa("alice:secret") } } }),
  );
  expectCode(await sb.run(["chart", "push", ref]), 0);
  // One token for the whole push: the 401 is answered once, then the token is sent up front.
  const pushTokens = issuer.requests.filter((r) => r.user === "alice");
  assert.equal(pushTokens.length, 1, JSON.stringify(issuer.requests));

  // Anyone may pull: no credentials needed.
  await using other = await sandbox();
  const pulled = expectCode(await other.run(["chart", "pull", ref]), 0);
  assert.match(pulled.stdout, /^Status: Downloaded newer chart for /m);
});
