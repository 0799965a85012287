/**
 * h3 as a library (`mod.ts`) in `deno run` scripts, against a real docker-registry: the README's
 * example script, then scripts of our own that pull into a fresh cache, list, export, copy between
 * two registry repositories, save and push.
 */
import assert from "node:assert/strict";
import { sandbox } from "../helpers/cli.ts";
import { minimalChart, readTree, writeTree } from "../helpers/charts.ts";
import { startRegistry } from "../helpers/registry.ts";

const root = new URL("../../", import.meta.url).pathname;

Deno.test("the example script saves and pushes a chart; the library reads it back", async (t) => {
  await using box = await sandbox();
  await using registry = await startRegistry();
  await writeTree(`${box.dir}/mychart`, minimalChart);
  const repo = `${registry.host}/examples/mychart`;

  await t.step("scripts/example.ts saves, pushes and lists tags", async () => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", `${root}scripts/example.ts`, "mychart", repo],
      cwd: box.dir,
      env: { ...box.env, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.match(
      stdout,
      new RegExp(
        `^saved mychart 2\\.7\\.0 as ${repo}:2\\.7\\.0\n` +
          `pushed sha256:[0-9a-f]{64} \\(2 blobs uploaded\\)\n` +
          `tags of ${repo}: 2\\.7\\.0\n$`,
      ),
    );
  });

  /** Runs a `deno run` script (outside the repository, so with h3's config) in the sandbox. */
  async function script(code: string): Promise<string> {
    await Deno.writeTextFile(
      `${box.dir}/script.ts`,
      `import * as h3 from "${root}mod.ts";\n${code}`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", "--config", `${root}deno.json`, "script.ts"],
      cwd: box.dir,
      env: { ...box.env, HELM_HOME: `${box.dir}/library-home` },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    return new TextDecoder().decode(out.stdout);
  }

  await t.step("pull, list and export into a fresh cache", async () => {
    const out = await script(`
      const pulled = await h3.pull("${repo}:2.7.0");
      console.log(pulled.meta.name, pulled.upToDate);
      console.log((await h3.list()).map((e) => e.ref).join(","));
      console.log((await h3.exportChart("${repo}:2.7.0", "out")).path);
      console.log((await h3.pull("${repo}:2.7.0")).upToDate);
    `);
    assert.equal(out, `mychart false\n${repo}:2.7.0\nout/mychart\ntrue\n`);
    assert.deepEqual(
      await readTree(`${box.dir}/out/mychart`),
      await readTree(`${box.dir}/mychart`),
    );
  });

  await t.step("copy between two registry repositories, as Targets", async () => {
    const out = await script(`
      using src = await h3.openRepository("${repo}");
      using dst = await h3.openRepository("${registry.host}/mirror/mychart");
      const result = await h3.copy(src, "2.7.0", dst, "stable");
      console.log((await dst.resolve("stable")).digest === result.desc.digest);
      console.log((await Array.fromAsync(dst.tags())).join(","));
    `);
    assert.equal(out, "true\nstable\n");
  });

  await t.step("save and push a new version through the library", async () => {
    await writeTree(`${box.dir}/mychart`, {
      "Chart.yaml": "apiVersion: v2\nname: mychart\nversion: 2.8.0+build.1\n",
    });
    const out = await script(`
      const saved = await h3.save("mychart", "${repo}");
      const pushed = await h3.push(h3.formatReference(saved.ref));
      console.log(h3.formatReference(saved.ref), pushed.desc.digest === saved.manifest.digest);
      using repository = await h3.openRepository("${repo}");
      console.log((await Array.fromAsync(repository.tags())).sort().join(","));
    `);
    assert.equal(out, `${repo}:2.8.0_build.1 true\n2.7.0,2.8.0_build.1\n`);
  });

  await t.step("the repository's chart tags, and the cache verified", async () => {
    const out = await script(`
      console.log((await h3.tags("${repo}")).map((t) => \`\${t.tag} \${t.chart}\`).join(","));
      const report = await h3.verify();
      console.log(report.refs, report.problems.length);
    `);
    assert.equal(out, "2.8.0_build.1 true,2.7.0 true\n2 0\n");
  });
});
