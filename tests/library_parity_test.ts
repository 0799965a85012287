/**
 * The library does what the CLI does: each step runs an `h3` command in one sandbox and the same
 * call of an `openH3()` client in another, on the same charts against one real registry (each
 * side its own repository), and compares what the user gets: refs, digests, versions, files.
 */
import assert from "node:assert/strict";
import { readTree, writeTree } from "./helpers/charts.ts";
import { denoDir, expectCode, type Sandbox, sandbox } from "./helpers/cli.ts";
import { startRegistry } from "./helpers/registry.ts";

const chart = (version: string) => ({
  "Chart.yaml": `apiVersion: v2\nname: mychart\nversion: ${version}\n`,
  "values.yaml": "replicaCount: 1\n",
  "templates/service.yaml": "kind: Service\n",
});

const root = new URL("../", import.meta.url).pathname;

/**
 * Runs `body` in a `deno run` script of its own (the environment is per process) with `h3`, an
 * open client, in scope; what `body` returns comes back through JSON.
 */
async function libraryScript(box: Sandbox, env: Record<string, string>, body: string) {
  const script = `${box.dir}/script-${crypto.randomUUID()}.ts`;
  await Deno.writeTextFile(
    script,
    `import { openH3 } from "${root}mod.ts";\n` +
      `await using h3 = await openH3();\n` +
      `const result = await (async () => { ${body} })();\n` +
      `console.log(JSON.stringify(result));\n`,
  );
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", "--config", `${root}deno.json`, script],
    cwd: box.dir,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test("each CLI command and the same library call give the same outcome", async (t) => {
  await using registry = await startRegistry();
  await using cli = await sandbox();
  await using lib = await sandbox();
  const sides: [string, Sandbox][] = [["cli", cli], ["lib", lib]];
  const env = (box: Sandbox) => ({
    ...box.env,
    SOURCE_DATE_EPOCH: "1700000000",
    DENO_DIR: denoDir,
  });
  for (const [, box] of sides) {
    for (const version of ["1.0.0", "1.1.0", "2.0.0-rc.1"]) {
      await writeTree(`${box.dir}/charts/${version}`, chart(version));
    }
  }
  const repo = (side: string) => `${registry.host}/${side}/mychart`;
  const run = (args: string[]) => cli.run(args, { env: env(cli) });
  // deno-lint-ignore no-explicit-any
  const library = (body: string): Promise<any> => libraryScript(lib, env(lib), body);
  /** A value of one side with its repository written as REPO, to compare with the other's. */
  const same = (value: unknown, side: string) =>
    JSON.parse(JSON.stringify(value).replaceAll(repo(side), "REPO"));

  await t.step("save, then list", async () => {
    for (const version of ["1.0.0", "1.1.0", "2.0.0-rc.1"]) {
      expectCode(await run(["chart", "save", `charts/${version}`, repo("cli")]), 0);
    }
    const listed = JSON.parse(expectCode(await run(["chart", "list", "-o", "json"]), 0).stdout);
    const saved: { ref: string; desc: { annotations: Record<string, string> } }[] = await library(`
      for (const version of ["1.0.0", "1.1.0", "2.0.0-rc.1"]) {
        await h3.save("charts/" + version, "${repo("lib")}");
      }
      return await h3.list();
    `);
    assert.deepEqual(
      same(saved.map((e) => [e.ref, e.desc.annotations["sh.h3.content.digest"]]), "lib"),
      same(listed.map((e: { ref: string; digest: string }) => [e.ref, e.digest]), "cli"),
    );
  });

  await t.step("push each version: the same manifests reach the registry", async () => {
    const pushed: string[] = [];
    for (const version of ["1.0.0", "1.1.0", "2.0.0-rc.1"]) {
      const out = await run(["chart", "push", `${repo("cli")}:${version}`, "-o", "json"]);
      pushed.push(JSON.parse(expectCode(out, 0).stdout)[0].digest);
    }
    const libraryPushed = await library(`
      const digests = [];
      for (const version of ["1.0.0", "1.1.0", "2.0.0-rc.1"]) {
        digests.push((await h3.push("${repo("lib")}:" + version)).desc.digest);
      }
      return digests;
    `);
    assert.deepEqual(libraryPushed, pushed);
  });

  await t.step("tags, with --all", async () => {
    const out = await run(["chart", "tags", repo("cli"), "-o", "json", "--all"]);
    const listed = JSON.parse(expectCode(out, 0).stdout);
    const tags = await library(`return await h3.tags("${repo("lib")}", { all: true });`);
    assert.deepEqual(tags, listed);
    assert.deepEqual(tags.map((info: { tag: string }) => info.tag), [
      "2.0.0-rc.1",
      "1.1.0",
      "1.0.0",
    ]);
  });

  await t.step("remove every ref, and prune", async () => {
    for (const version of ["1.0.0", "1.1.0", "2.0.0-rc.1"]) {
      expectCode(await run(["chart", "remove", `${repo("cli")}:${version}`]), 0);
    }
    expectCode(await run(["chart", "prune"]), 0);
    const left = await library(`
      await h3.remove(["1.0.0", "1.1.0", "2.0.0-rc.1"].map((v) => "${repo("lib")}:" + v));
      await h3.prune();
      return await h3.list();
    `);
    assert.deepEqual(left, []);
    assert.equal(expectCode(await run(["chart", "list", "-o", "json"]), 0).stdout.trim(), "[]");
  });

  await t.step("pull with no tag takes the highest stable version", async () => {
    const out = await run(["chart", "pull", repo("cli"), "-o", "json"]);
    const [pulled] = JSON.parse(expectCode(out, 0).stdout);
    const result = await library(`return await h3.pull("${repo("lib")}");`);
    assert.equal(result.ref.tag, "1.1.0");
    assert.equal(pulled.version, "1.1.0");
    assert.equal(result.desc.digest, pulled.digest);
  });

  await t.step("pull --version (a range) and --devel", async () => {
    const out = await run(["chart", "pull", repo("cli"), "--version", ">=1.0.0", "--devel"]);
    expectCode(out, 0);
    const result = await library(
      `return await h3.pull("${repo("lib")}", { version: ">=1.0.0", devel: true });`,
    );
    assert.equal(result.ref.tag, "2.0.0-rc.1");
    const listed = JSON.parse(expectCode(await run(["chart", "list", "-o", "json"]), 0).stdout);
    const refs = await library(`return (await h3.list()).map((e) => e.ref);`);
    assert.deepEqual(same(refs, "lib"), same(listed.map((e: { ref: string }) => e.ref), "cli"));
  });

  await t.step("Helm's form: --destination and --untar write the same files", async () => {
    expectCode(
      await run(["chart", "pull", `oci://${repo("cli")}`, "--version", "1.0.0", "-d", "out"]),
      0,
    );
    expectCode(await run(["chart", "pull", `${repo("cli")}:1.0.0`, "--untar", "-d", "tree"]), 0);
    const [file, tree] = await library(`return [
      await h3.pull("oci://${repo("lib")}", { version: "1.0.0", destination: "${lib.dir}/out" }),
      await h3.pull("${repo("lib")}:1.0.0", { untar: true, destination: "${lib.dir}/tree" }),
    ];`);
    assert.equal(file.path, `${lib.dir}/out/mychart-1.0.0.tgz`);
    assert.deepEqual(
      await Deno.readFile(file.path),
      await Deno.readFile(`${cli.dir}/out/mychart-1.0.0.tgz`),
    );
    assert.equal(tree.path, `${lib.dir}/tree/mychart`);
    assert.deepEqual(await readTree(tree.path), await readTree(`${cli.dir}/tree/mychart`));
  });

  await t.step("export and verify", async () => {
    expectCode(await run(["chart", "export", `${repo("cli")}:1.1.0`, "-d", "exported"]), 0);
    const verified = expectCode(await run(["chart", "verify"]), 0);
    const [exported, report] = await library(`return [
      await h3.exportChart("${repo("lib")}:1.1.0", "${lib.dir}/exported"),
      await h3.verify(),
    ];`);
    assert.deepEqual(
      await readTree(exported.path),
      await readTree(`${cli.dir}/exported/mychart`),
    );
    assert.deepEqual(report.problems, []);
    assert.match(verified.stdout, /\b2 refs\b/);
    assert.equal(report.refs, 2);
  });

  await t.step("push a packaged chart (.tgz) to oci://REGISTRY/NAMESPACE", async () => {
    const out = await run([
      "chart",
      "push",
      "out/mychart-1.0.0.tgz",
      `oci://${registry.host}/cli-tgz`,
    ]);
    expectCode(out, 0);
    const pushed = await library(
      `return await h3.push("out/mychart-1.0.0.tgz", { remote: "oci://${registry.host}/lib-tgz" });`,
    );
    assert.equal(pushed.ref.repository, "lib-tgz/mychart");
    assert.equal(pushed.ref.tag, "1.0.0");
    const cliTags = JSON.parse(
      expectCode(await run(["chart", "tags", `${registry.host}/cli-tgz/mychart`, "-o", "json"]), 0)
        .stdout,
    );
    assert.equal(cliTags[0].digest.length, pushed.desc.digest.length);
    assert.deepEqual(cliTags.map((t: { tag: string }) => t.tag), ["1.0.0"]);
  });

  await t.step("registries.conf: a blocked registry is refused by both", async () => {
    const blockedAt = (box: Sandbox) => ({
      ...env(box),
      H3_SYSTEM_CONFIG_ROOT: `${box.dir}/system`,
      XDG_CONFIG_HOME: `${box.dir}/xdg`,
    });
    for (const [, box] of sides) {
      await Deno.mkdir(`${box.dir}/system/etc/containers`, { recursive: true });
      await Deno.writeTextFile(
        `${box.dir}/system/etc/containers/registries.conf`,
        `[[registry]]\nlocation = "${registry.host}/forbidden"\nblocked = true\n`,
      );
    }
    const ref = `${registry.host}/forbidden/mychart:1.0.0`;
    const refused = await cli.run(["chart", "pull", ref], { env: blockedAt(cli) });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /forbidden is blocked in /);
    const error = await libraryScript(
      lib,
      blockedAt(lib),
      `return await h3.pull("${ref}").then(() => "pulled", (error) => error.message);`,
    );
    assert.match(error, /forbidden is blocked in /);
  });
});
