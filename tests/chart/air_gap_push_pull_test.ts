/**
 * Air gap with push and pull: `chart push REF|CHART.tgz oci:DIR[:REF]|oci-archive:FILE[:REF]` and
 * `chart pull oci:DIR[:REF]|oci-archive:FILE[:REF]` (Helm's form: NAME-VERSION.tgz), through the
 * same layout Target and transfer as `chart copy`; the same manifest as a registry push, skopeo
 * reading what push wrote, and a read-only source left as it was.
 */
import assert from "node:assert/strict";
import { fileEntry, minimalChart, tgz, treeSnapshot } from "../helpers/charts.ts";
import { denoDir, expectCode, sandbox, skopeo } from "../helpers/cli.ts";
import { startRegistry } from "../helpers/registry.ts";
import { sha256Hex } from "../helpers/files.ts";

const chartTgz = () =>
  tgz(Object.entries(minimalChart).map(([name, body]) => fileEntry(`mychart/${name}`, body)));

Deno.test("air gap push: a cached chart into oci:DIR is the manifest a registry push sends", async () => {
  await using registry = await startRegistry();
  await using sb = await sandbox();
  await Deno.mkdir(`${sb.dir}/mychart/templates`, { recursive: true });
  for (const [name, body] of Object.entries(minimalChart)) {
    await Deno.writeTextFile(`${sb.dir}/mychart/${name}`, body);
  }
  const ref = `${registry.host}/charts/mychart:2.7.0`;
  expectCode(await sb.run(["chart", "save", "mychart", ref]), 0);
  const pushed = JSON.parse(
    expectCode(await sb.run(["chart", "push", ref, "-o", "json"]), 0).stdout,
  );

  const out = expectCode(await sb.run(["chart", "push", ref, "oci:layout"]), 0);
  const lines = out.stdout.split("\n");
  assert.equal(lines[0], "The push refers to oci:layout");
  assert.match(out.stdout, /^2\.7\.0: pushed to oci:layout \(2 layers, \d+ B total\)$/m);
  assert.match(out.stdout, new RegExp(`^Digest: ${pushed[0].digest}$`, "m"));
  // skopeo reads the layout: the manifest is the one the registry got.
  const raw = await skopeo("inspect", "--raw", `oci:${sb.dir}/layout:2.7.0`);
  assert.equal(`sha256:${await sha256Hex(raw)}`, pushed[0].digest);

  // Again: nothing to send; JSON says so.
  const again = JSON.parse(
    expectCode(await sb.run(["chart", "push", ref, "oci:layout", "-o", "json"]), 0).stdout,
  );
  assert.deepEqual([again[0].status, again[0].sent, again[0].digest], [
    "exists",
    [],
    pushed[0].digest,
  ]);

  // An untagged cached ref with no layout REF: the tag push picks names it.
  expectCode(await sb.run(["chart", "push", `${registry.host}/charts/mychart`, "oci:other"]), 0);
  const index = JSON.parse(await Deno.readTextFile(`${sb.dir}/other/index.json`));
  assert.equal(index.manifests[0].annotations["org.opencontainers.image.ref.name"], "2.7.0");

  // A chart not in the cache: the layout is not created.
  const missing = expectCode(
    await sb.run(["chart", "push", `${registry.host}/charts/none:1.0.0`, "oci:nothing"]),
    1,
  );
  assert.match(missing.stderr, /not found in the cache/);
  assert.equal(await Deno.stat(`${sb.dir}/nothing`).catch(() => undefined), undefined);
});

Deno.test("air gap push/pull: CHART.tgz into an archive, pulled back byte for byte, read-only", async () => {
  await using sb = await sandbox();
  const bytes = await chartTgz();
  await Deno.writeFile(`${sb.dir}/mychart-2.7.0.tgz`, bytes);

  const out = expectCode(
    await sb.run(["chart", "push", "mychart-2.7.0.tgz", "oci-archive:bundle.tar:stable"]),
    0,
  );
  assert.match(out.stdout, /^The push refers to oci-archive:bundle\.tar$/m);
  assert.match(out.stdout, /^stable: pushed to oci-archive:bundle\.tar \(2 layers, /m);
  expectCode(await sb.run(["chart", "push", "mychart-2.7.0.tgz", "oci-archive:bundle.tar"]), 0);
  const raw = await skopeo("inspect", "--raw", `oci-archive:${sb.dir}/bundle.tar:2.7.0`);
  assert.equal(
    JSON.parse(raw).layers[0].mediaType,
    "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
  );

  // Pulled back: the same bytes, as Helm's form of pull writes them.
  const pulled = expectCode(
    await sb.run(["chart", "pull", "oci-archive:bundle.tar:stable", "-d", "out"]),
    0,
  );
  assert.match(
    pulled.stdout,
    /^Pulled: oci-archive:bundle\.tar:stable\nDigest: sha256:[a-f0-9]{64}\nSaved: out\/mychart-2\.7\.0\.tgz\n$/,
  );
  assert.deepEqual(await Deno.readFile(`${sb.dir}/out/mychart-2.7.0.tgz`), bytes);

  // A .prov beside the .tgz travels as the provenance layer; --prov writes it back.
  const prov = "-----BEGIN PGP SIGNED MESSAGE-----\ncarried as it is\n";
  await Deno.writeTextFile(`${sb.dir}/mychart-2.7.0.tgz.prov`, prov);
  expectCode(await sb.run(["chart", "push", "mychart-2.7.0.tgz", "oci-archive:signed.tar"]), 0);
  await Deno.remove(`${sb.dir}/mychart-2.7.0.tgz.prov`);
  const withProv = expectCode(
    await sb.run(["chart", "pull", "oci-archive:signed.tar", "--prov", "-d", "p"]),
    0,
  );
  assert.match(withProv.stdout, /^Saved: p\/mychart-2\.7\.0\.tgz\.prov$/m);
  assert.equal(await Deno.readTextFile(`${sb.dir}/p/mychart-2.7.0.tgz.prov`), prov);

  // From a directory layout made read-only: no REF picks the highest version; nothing changes.
  expectCode(await sb.run(["chart", "push", "mychart-2.7.0.tgz", "oci:ro"]), 0);
  await Deno.remove(`${sb.dir}/ro/.gc.lock`);
  await Deno.remove(`${sb.dir}/ro/.index.lock`);
  await Deno.remove(`${sb.dir}/ro/.tmp`, { recursive: true });
  const before = await treeSnapshot(`${sb.dir}/ro`);
  await new Deno.Command("chmod", { args: ["-R", "a-w", `${sb.dir}/ro`] }).output();
  try {
    const tree = expectCode(
      await sb.run([
        "chart",
        "pull",
        "oci:ro",
        "--version",
        "^2.0.0",
        "--untar",
        "-d",
        "tree",
        "-o",
        "json",
      ]),
      0,
    );
    const [report] = JSON.parse(tree.stdout);
    assert.deepEqual([report.status, report.name, report.version], [
      "extracted",
      "mychart",
      "2.7.0",
    ]);
    assert.equal(
      await Deno.readTextFile(`${sb.dir}/tree/mychart/values.yaml`),
      "replicaCount: 1\n",
    );
  } finally {
    await new Deno.Command("chmod", { args: ["-R", "u+w", `${sb.dir}/ro`] }).output();
  }
  assert.deepEqual(await treeSnapshot(`${sb.dir}/ro`), before);

  // Refusals, each one line, writing nothing.
  const none = expectCode(await sb.run(["chart", "pull", "oci:nope"]), 1);
  assert.equal(none.stderr, "Error: oci:nope: no such directory\n");
  const range = expectCode(await sb.run(["chart", "pull", "oci:ro", "--version", "^3.0.0"]), 1);
  assert.match(range.stderr, /^Error: oci:ro: .*3\.0\.0/);
  const mixed = expectCode(await sb.run(["chart", "pull", "oci:ro", "localhost:1/a/b:1"]), 2);
  assert.match(mixed.stderr, /pull layouts \(oci:, oci-archive:\) and registry refs separately/);
  const differs = expectCode(
    await sb.run(["chart", "pull", "oci:ro:2.7.0", "--version", "1.0.0"]),
    2,
  );
  assert.match(differs.stderr, /oci:ro:2\.7\.0 names its ref already; --version "1\.0\.0" differs/);
  assert.equal(
    await Deno.stat(`${sb.dir}/mychart-2.7.0.tgz.prov`).catch(() => undefined),
    undefined,
  );
});

Deno.test("air gap push/pull: the library's pushToLayout and pullFromLayout", async () => {
  await using sb = await sandbox();
  const bytes = await chartTgz();
  await Deno.writeFile(`${sb.dir}/mychart-2.7.0.tgz`, bytes);
  const script = `
    import { pull, pullFromLayout, pushToLayout } from "${
    new URL("../../mod.ts", import.meta.url).href
  }";
    const pushed = await pushToLayout("mychart-2.7.0.tgz", "oci:lib");
    const wrong = await pull("oci:lib:2.7.0").catch((e) => e.message);
    const pulled = await pullFromLayout("oci:lib:2.7.0", { destination: "out" });
    console.log(JSON.stringify([pushed.reference, pushed.layout, pulled.path, pushed.desc.digest === pulled.desc.digest, wrong]));
  `;
  await Deno.writeTextFile(`${sb.dir}/script.ts`, script);
  const config = new URL("../../deno.json", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", "--config", config, "script.ts"],
    cwd: sb.dir,
    env: { ...sb.env, DENO_DIR: denoDir },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  assert.equal(out.code, 0, decode(out.stderr));
  assert.deepEqual(JSON.parse(decode(out.stdout)), [
    "2.7.0",
    "oci:lib",
    "out/mychart-2.7.0.tgz",
    true,
    "oci:lib:2.7.0 is an OCI layout, not a registry reference: use pullFromLayout",
  ]);
  assert.deepEqual(await Deno.readFile(`${sb.dir}/out/mychart-2.7.0.tgz`), bytes);
});
