/**
 * h3 and the real crane (go-containerregistry, built by scripts/peers.sh) on real registries: crane
 * reads, lists and copies what h3 pushed, and h3 reads what crane wrote. Skipped, saying why, when
 * crane is not built.
 */
import assert from "node:assert/strict";
import { digestOf } from "../../core/oci/descriptor.ts";
import { connectRepository } from "../../core/transport/repository.ts";
import { fixtureChart, readTree } from "../helpers/charts.ts";
import { expectCode, type RunResult, type Sandbox, sandbox } from "../helpers/cli.ts";
import { runPeer, testWithPeers } from "../helpers/peers.ts";
import { startRegistry } from "../helpers/registry.ts";
import { pushChartVersion } from "../helpers/remote_charts.ts";

function crane(sb: Sandbox, args: string[]): Promise<RunResult> {
  return runPeer("crane", [...args, "--insecure"], {
    cwd: sb.dir,
    env: { HOME: sb.dir, DOCKER_CONFIG: sb.env.DOCKER_CONFIG },
  });
}

testWithPeers(
  "crane manifest, ls and copy read h3's pushes; h3 reads crane's copies",
  ["crane"],
  async () => {
    await using source = await startRegistry();
    await using mirror = await startRegistry();
    await using sb = await sandbox();
    const ref = `${source.host}/charts/mychart:2.7.0`;
    expectCode(await sb.run(["chart", "save", fixtureChart, ref]), 0);
    expectCode(await sb.run(["chart", "push", ref]), 0);
    const cacheIndex = JSON.parse(await Deno.readTextFile(`${sb.helmHome}/registry/index.json`));
    const digest = cacheIndex.manifests[0].digest;

    const manifest = expectCode(await crane(sb, ["manifest", ref]), 0).stdout;
    assert.equal(await digestOf(new TextEncoder().encode(manifest)), digest);
    assert.equal(expectCode(await crane(sb, ["digest", ref]), 0).stdout.trim(), digest);

    {
      using repo = connectRepository(`${source.host}/charts/mychart`);
      for (const version of ["1.0.0", "1.1.0", "2.0.0-rc.1+build.5"]) {
        await pushChartVersion(repo, { name: "mychart", version });
      }
    }
    const listed = expectCode(await crane(sb, ["ls", `${source.host}/charts/mychart`]), 0).stdout;
    const tags = JSON.parse(
      expectCode(await sb.run(["chart", "tags", `${source.host}/charts/mychart`, "-o", "json"]), 0)
        .stdout,
    ).map((info: { tag: string }) => info.tag);
    assert.deepEqual(listed.trim().split("\n").sort(), tags.sort());
    assert.ok(tags.includes("2.0.0-rc.1_build.5"), "a + in a version is _ in its tag, for both");

    // crane copy one chart, then the whole repository; h3 pulls and lists the copies.
    const copied = `${mirror.host}/copied/mychart:2.7.0`;
    expectCode(await crane(sb, ["copy", ref, copied]), 0);
    await using fresh = await sandbox();
    expectCode(await fresh.run(["chart", "pull", copied]), 0);
    expectCode(await fresh.run(["chart", "export", copied, "-d", "out"]), 0);
    expectCode(await sb.run(["chart", "export", ref, "-d", "out"]), 0);
    assert.deepEqual(
      await readTree(`${fresh.dir}/out/mychart`),
      await readTree(`${sb.dir}/out/mychart`),
    );
    expectCode(
      await crane(sb, [
        "copy",
        `${source.host}/charts/mychart`,
        `${mirror.host}/all/mychart`,
        "--all-tags",
      ]),
      0,
    );
    const mirrored = JSON.parse(
      expectCode(await sb.run(["chart", "tags", `${mirror.host}/all/mychart`, "-o", "json"]), 0)
        .stdout,
    ).map((info: { tag: string }) => info.tag);
    assert.deepEqual(mirrored.sort(), tags.sort());

    // crane tag writes a new tag; h3 copies what crane wrote, and crane reads h3's copy.
    expectCode(await crane(sb, ["tag", copied, "stable"]), 0);
    const stable = `${mirror.host}/copied/mychart:stable`;
    const back = `${source.host}/back/mychart:stable`;
    expectCode(await sb.run(["chart", "copy", stable, back]), 0);
    assert.equal(expectCode(await crane(sb, ["digest", back]), 0).stdout.trim(), digest);
  },
);
