/**
 * `repo import` reaching a classic repository as Helm does: basic auth from --repo-username /
 * --repo-password or from Helm's repositories.yaml (by URL or `@NAME`), credentials never sent
 * to another origin, a private CA (--repo-ca-file) or no checks; and `--verify --keyring`: a
 * version whose .prov is missing or signed by another key fails, listed, while the others go on.
 */
import assert from "node:assert/strict";
import { archiveName, provenanceMessage } from "../../core/chart/provenance_text.ts";
import { digestOf } from "../../core/oci/descriptor.ts";
import { signProvenance } from "../../core/sign/provenance.ts";
import { connectRepository } from "../../core/transport/repository.ts";
import { indexYaml, pack, serve } from "../helpers/classic_repo.ts";
import { expectCode, sandbox } from "../helpers/cli.ts";
import { gnupg } from "../helpers/gnupg.ts";
import { startRegistry } from "../helpers/registry.ts";
import { makeTls } from "../helpers/tls.ts";

Deno.test("repo import: credentials from flags or repositories.yaml, never to another origin", async () => {
  await using registry = await startRegistry();
  await using sb = await sandbox();
  const app = await pack(sb.dir, "app", "1.0.0");
  const far = await pack(sb.dir, "far", "2.0.0");
  // `far` lives on another server (another port: another origin), which needs no credentials.
  await using elsewhere = serve(new Map([["/far-2.0.0.tgz", far]]));
  const files = new Map([["/charts/app-1.0.0.tgz", app]]);
  await using repo = serve(files, { auth: "me:s3cret" });
  files.set(
    "/charts/index.yaml",
    await indexYaml([
      ["app", "1.0.0", app, "app-1.0.0.tgz"],
      ["far", "2.0.0", far, `${elsewhere.url}/far-2.0.0.tgz`],
    ]),
  );
  const ns = `${registry.host}/imported`;

  const refused = expectCode(await sb.run(["repo", "import", `${repo.url}/charts`, ns]), 1);
  assert.match(refused.stderr, /index\.yaml answered HTTP 401 \(give the repository's credentials/);

  const flags = ["--repo-username", "me", "--repo-password", "s3cret"];
  const out = expectCode(await sb.run(["repo", "import", `${repo.url}/charts`, ns, ...flags]), 0);
  assert.match(out.stdout, /^app 1\.0\.0: pushed /m);
  assert.match(out.stdout, /^far 2\.0\.0: pushed /m);
  assert.ok(repo.log.some((r) => r.path === "/charts/app-1.0.0.tgz" && r.authorization !== ""));
  assert.deepEqual(
    elsewhere.log.map((r) => `${r.path} ${r.authorization}`),
    ["/far-2.0.0.tgz ", "/far-2.0.0.tgz.prov "],
    "no credentials to another origin",
  );
  using pushed = connectRepository(`${ns}/app`);
  assert.ok(await pushed.resolve("1.0.0"));

  // Helm's repositories.yaml: found by URL, and by @NAME; no flags.
  await Deno.writeTextFile(
    `${sb.dir}/repositories.yaml`,
    `apiVersion: ""\nrepositories:\n- name: private\n  url: ${repo.url}/charts/\n` +
      "  username: me\n  password: s3cret\n",
  );
  const env = { HELM_REPOSITORY_CONFIG: `${sb.dir}/repositories.yaml` };
  const byUrl = expectCode(
    await sb.run(["repo", "import", `${repo.url}/charts/index.yaml`, `${ns}2`], { env }),
    0,
  );
  assert.match(byUrl.stdout, /^Imported 2 chart versions, 0 already there, 0 failed$/m);
  const byName = expectCode(
    await sb.run([
      "repo",
      "import",
      "@private",
      `${ns}2`,
      "-o",
      "json",
      "--repository-config",
      `${sb.dir}/repositories.yaml`,
    ]),
    0,
  );
  assert.equal(JSON.parse(byName.stdout).existing, 2);
  const unknown = expectCode(await sb.run(["repo", "import", "@nope", ns], { env }), 1);
  assert.equal(
    unknown.stderr,
    `Error: no repository named "@nope" in Helm's repositories.yaml\n`,
  );
  const half = expectCode(
    await sb.run(["repo", "import", repo.url, ns, "--repo-username", "me"]),
    2,
  );
  assert.match(half.stderr, /--repo-username and --repo-password go together/);
});

Deno.test("repo import: a private CA with --repo-ca-file, or --repo-insecure-skip-tls-verify", async () => {
  await using registry = await startRegistry();
  await using sb = await sandbox();
  await using tls = await makeTls();
  const app = await pack(sb.dir, "app", "1.0.0");
  const files = new Map([["/app-1.0.0.tgz", app]]);
  files.set("/index.yaml", await indexYaml([["app", "1.0.0", app, "app-1.0.0.tgz"]]));
  await using repo = serve(files, { tls: tls.server });

  const untrusted = expectCode(
    await sb.run(["repo", "import", repo.url, `${registry.host}/a`]),
    1,
  );
  assert.equal(
    untrusted.stderr,
    `Error: repository index: TLS error talking to ${
      repo.url.slice("https://".length)
    }: certificate signed by an unknown authority\n`,
  );
  expectCode(
    await sb.run(["repo", "import", repo.url, `${registry.host}/a`, "--repo-ca-file", tls.ca]),
    0,
  );
  const skip = expectCode(
    await sb.run([
      "repo",
      "import",
      repo.url,
      `${registry.host}/b`,
      "--repo-insecure-skip-tls-verify",
    ]),
    0,
  );
  assert.match(skip.stdout, /^app 1\.0\.0: pushed /m);
});

Deno.test("repo import --verify --keyring: only charts whose .prov verifies are pushed", async () => {
  await using registry = await startRegistry();
  await using sb = await sandbox();
  const pg = await gnupg(sb.dir);
  const secring = await Deno.readFile(pg.secring);
  const files = new Map<string, Uint8Array>();
  const listed: [string, string, Uint8Array, string][] = [];
  const add = async (name: string, prov?: "good" | "wrong-digest") => {
    const bytes = await pack(sb.dir, name, "1.0.0");
    files.set(`/${name}-1.0.0.tgz`, bytes);
    listed.push([name, "1.0.0", bytes, `${name}-1.0.0.tgz`]);
    if (!prov) return;
    const meta = { apiVersion: "v2", name, version: "1.0.0" };
    const digest = prov === "good" ? await digestOf(bytes) : `sha256:${"0".repeat(64)}`;
    const text = await signProvenance(
      provenanceMessage(meta, archiveName(meta), digest),
      secring,
      pg.secring,
      "Test Signer",
      () => Promise.resolve(""),
    );
    files.set(`/${name}-1.0.0.tgz.prov`, new TextEncoder().encode(text));
  };
  await add("signed", "good");
  await add("tampered", "wrong-digest");
  await add("unsigned");
  files.set("/index.yaml", await indexYaml(listed));
  await using repo = serve(files);
  const ns = `${registry.host}/verified`;

  const run = (ring: string) =>
    sb.run(["repo", "import", repo.url, ns, "--verify", "--keyring", ring]);
  const out = expectCode(await run(pg.pubring), 3);
  assert.match(
    out.stdout,
    /^signed 1\.0\.0: pushed .*, with provenance, signed by Test Signer <test@example\.com>\)$/m,
  );
  assert.match(
    out.stderr,
    /^Error: tampered 1\.0\.0: the provenance's checksum of tampered-1\.0\.0\.tgz is sha256:0{64}, not sha256:/m,
  );
  assert.match(
    out.stderr,
    /^Error: unsigned 1\.0\.0: no provenance \(.*unsigned-1\.0\.0\.tgz\.prov\) to verify with /m,
  );
  assert.match(out.stdout, /^Imported 1 chart version, 0 already there, 2 failed$/m);
  using tampered = connectRepository(`${ns}/tampered`);
  await assert.rejects(() => tampered.resolve("1.0.0"));

  // Another key: nothing verifies, nothing more is pushed.
  const other = expectCode(
    await sb.run([
      "repo",
      "import",
      repo.url,
      `${ns}-other`,
      "--verify",
      "--keyring",
      pg.otherRing,
    ]),
    3,
  );
  assert.match(other.stderr, /^Error: signed 1\.0\.0: the provenance is not signed by a key in /m);
  const usage = expectCode(await sb.run(["repo", "import", repo.url, ns, "--verify"]), 2);
  assert.match(usage.stderr, /--verify needs --keyring FILE/);
});
