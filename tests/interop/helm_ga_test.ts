import assert from "node:assert/strict";
import { loadChartDir } from "../../core/chart/load.ts";
import { packChart } from "../../core/chart/package.ts";
import { connectRepository } from "../../core/transport/repository.ts";
import { fileEntry, readTree, tgz, writeTree } from "../helpers/charts.ts";
import { expectCode, type Sandbox, sandbox } from "../helpers/cli.ts";
import { startRegistry } from "../helpers/registry.ts";
import { sha256Hex } from "../helpers/files.ts";

const sha = "sha256:[0-9a-f]{64}";

function chart(version: string): Record<string, string> {
  return {
    "Chart.yaml": `apiVersion: v2\nname: mychart\nversion: ${version}\nappVersion: "1.0"\n`,
    "values.yaml": "replicaCount: 1\n",
    "templates/service.yaml": "kind: Service\n",
  };
}

/** The `sha256:` digest of the file at `path`. */
async function sha256(path: string): Promise<string> {
  return `sha256:${await sha256Hex(await Deno.readFile(path))}`;
}

/** `mychart-0.1.0.tgz` packaged by h3 and `mychart-0.2.0.tgz` by `tar -czf`, in the sandbox. */
async function archives(sb: Sandbox): Promise<{ byH3: string; byTar: string }> {
  await writeTree(`${sb.dir}/h3/mychart`, chart("0.1.0"));
  const byH3 = `${sb.dir}/mychart-0.1.0.tgz`;
  await Deno.writeFile(byH3, packChart(await loadChartDir(`${sb.dir}/h3/mychart`)));
  await writeTree(`${sb.dir}/tar/mychart`, chart("0.2.0"));
  const byTar = `${sb.dir}/mychart-0.2.0.tgz`;
  const tar = await new Deno.Command("tar", {
    args: ["-czf", byTar, "-C", `${sb.dir}/tar`, "mychart"],
  }).output();
  assert.equal(tar.code, 0, new TextDecoder().decode(tar.stderr));
  return { byH3, byTar };
}

Deno.test("Helm 3.8+ forms: push CHART.tgz oci://REGISTRY/NS, pull back byte for byte", async () => {
  await using registry = await startRegistry();
  await using sb = await sandbox();
  const { byH3, byTar } = await archives(sb);
  await Deno.writeTextFile(`${byTar}.prov`, "-----BEGIN PGP SIGNED MESSAGE-----\n");
  const remote = `oci://${registry.host}/ns`;
  const repo = `${registry.host}/ns/mychart`;

  const pushed = expectCode(await sb.run(["chart", "push", "mychart-0.1.0.tgz", remote]), 0);
  const lines = pushed.stdout.trimEnd().split("\n");
  assert.deepEqual(lines.map((line) => line.replace(/sha256:[0-9a-f]{64}/, "D")), [
    `The push refers to repository [${repo}]`,
    "Name: mychart",
    "Version: 0.1.0",
    "Meta: D",
    "Content: D",
    lines[5],
    "Digest: D",
  ]);
  assert.match(lines[5], /^0\.1\.0: pushed to remote \(2 layers, \d+ B total\)$/);
  assert.equal(lines[4], `Content: ${await sha256(byH3)}`, "the archive is the content layer");
  const signed = expectCode(await sb.run(["chart", "push", byTar, `${remote}/`]), 0);
  assert.match(signed.stdout, /^0\.2\.0: pushed to remote \(3 layers, /m, "with its .prov file");
  assert.equal(await Deno.stat(`${sb.helmHome}/registry`).catch(() => undefined), undefined);

  const pull = (version: string, ...flags: string[]) =>
    sb.run(["chart", "pull", `oci://${repo}`, "--version", version, ...flags]);
  const saved = expectCode(await pull("0.1.0", "-d", "out"), 0);
  assert.match(
    saved.stdout,
    new RegExp(`^Pulled: ${repo}:0\\.1\\.0\nDigest: ${sha}\nSaved: out/mychart-0\\.1\\.0\\.tgz\n$`),
  );
  assert.deepEqual(
    await Deno.readFile(`${sb.dir}/out/mychart-0.1.0.tgz`),
    await Deno.readFile(byH3),
  );
  const tarDigest = await sha256(byTar);
  await Deno.remove(byTar);
  expectCode(await pull("0.2.0"), 0);
  assert.equal(await sha256(byTar), tarDigest, "into the working directory, as helm pull");
  assert.equal(await Deno.stat(`${sb.helmHome}/registry`).catch(() => undefined), undefined);

  const untarred = expectCode(await pull("^0.2", "--untar", "-d", "charts"), 0);
  assert.match(untarred.stdout, /^Extracted: charts\/mychart\/$/m);
  assert.deepEqual(
    await readTree(`${sb.dir}/charts/mychart`),
    await readTree(`${sb.dir}/tar/mychart`),
  );
  const again = await pull("0.2.0", "--untar", "-d", "charts");
  assert.equal(again.code, 1);
  assert.match(again.stderr, /charts\/mychart already exists \(use --force to replace it\)/);
  expectCode(await pull("0.1.0", "--untar", "-d", "charts", "--force"), 0);
  assert.match(await Deno.readTextFile(`${sb.dir}/charts/mychart/Chart.yaml`), /version: 0\.1\.0/);

  const cached = expectCode(await sb.run(["chart", "pull", `${repo}:0.1.0`]), 0);
  assert.match(
    cached.stdout,
    new RegExp(`^Content: ${await sha256(`${sb.dir}/out/mychart-0.1.0.tgz`)}$`, "m"),
  );
});

Deno.test("push CHART.tgz refuses what is not a packaged chart, naming the file", async () => {
  await using registry = await startRegistry();
  await using sb = await sandbox();
  const remote = `oci://${registry.host}/ns`;
  const yaml = "apiVersion: v2\nname: mychart\nversion: 0.1.0\n";
  const cases: [string, Uint8Array, RegExp][] = [
    [
      "plain.tgz",
      new TextEncoder().encode("not gzip"),
      /plain\.tgz: not a packaged chart \(\.tgz\)/,
    ],
    [
      "renamed-0.1.0.tgz",
      await tgz([fileEntry("other/Chart.yaml", yaml)]),
      /renamed-0\.1\.0\.tgz: its top directory "other\/" is not named after the chart "mychart"/,
    ],
    [
      "escape-0.1.0.tgz",
      await tgz([fileEntry("mychart/Chart.yaml", yaml), fileEntry("mychart/../../evil", "x")]),
      /escape-0\.1\.0\.tgz: unsafe chart archive: entry "mychart\/\.\.\/\.\.\/evil"/,
    ],
    [
      "noversion-0.1.0.tgz",
      await tgz([fileEntry("mychart/Chart.yaml", "apiVersion: v2\nname: mychart\n")]),
      /noversion-0\.1\.0\.tgz: .*version.* is required/,
    ],
    [
      // As Helm's loader: an archive's .helmignore is for packaging, its values.yaml is read.
      "ignored-0.1.0.tgz",
      await tgz([
        fileEntry("mychart/Chart.yaml", yaml),
        fileEntry("mychart/.helmignore", "values.yaml\n"),
        fileEntry("mychart/values.yaml", "a: [\n"),
      ]),
      /ignored-0\.1\.0\.tgz: mychart\/values\.yaml:2: malformed YAML/,
    ],
    [
      // Files past 256 KiB stream: one skipped, one read, and the entries after both still checked.
      "large-0.1.0.tgz",
      await tgz([
        fileEntry("mychart/Chart.yaml", yaml),
        fileEntry("mychart/templates/big.yaml", "# x\n".repeat(100_000)),
        fileEntry("mychart/values.yaml", "a: 1\n".repeat(70_000) + "b: [\n"),
        fileEntry("mychart/../escape", "x"),
      ]),
      /large-0\.1\.0\.tgz: unsafe chart archive: entry "mychart\/\.\.\/escape"/,
    ],
    [
      "largevalues-0.1.0.tgz",
      await tgz([
        fileEntry("mychart/Chart.yaml", yaml),
        fileEntry("mychart/templates/big.yaml", "# x\n".repeat(100_000)),
        fileEntry("mychart/values.yaml", "a: 1\n".repeat(70_000) + "b: [\n"),
      ]),
      /largevalues-0\.1\.0\.tgz: mychart\/values\.yaml:70002: malformed YAML/,
    ],
  ];
  for (const [name, bytes, message] of cases) {
    await Deno.writeFile(`${sb.dir}/${name}`, bytes);
    const result = await sb.run(["chart", "push", name, remote]);
    assert.equal(result.code, 1, `${name}: ${result.stderr}`);
    assert.match(result.stderr, message);
    assert.equal(result.stderr.trim().split("\n").length, 1);
  }
  await Deno.writeFile(`${sb.dir}/good.tgz`, await tgz([fileEntry("mychart/Chart.yaml", yaml)]));
  const tagged = await sb.run(["chart", "push", "good.tgz", `${remote}/mychart:1.0`]);
  assert.equal(tagged.code, 2);
  assert.match(tagged.stderr, /without a tag or digest/);
  using repo = connectRepository(`${registry.host}/ns/mychart`);
  await assert.rejects(Array.fromAsync(repo.tags()), /NAME_UNKNOWN/, "nothing was pushed");
});
