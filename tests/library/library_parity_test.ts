/**
 * The library does what the CLI does: each step runs an `h3` command in one sandbox and the same
 * call of an `openH3()` client in another, on the same charts against one real registry (each
 * side its own repository), and compares what the user gets: refs, digests, versions, files.
 */
import assert from "node:assert/strict";
import { formatReference } from "../../core/ref.ts";
import { fixtureChart, readTree, writeTree } from "../helpers/charts.ts";
import { denoDir, expectCode, type Sandbox, sandbox } from "../helpers/cli.ts";
import { gnupg } from "../helpers/gnupg.ts";
import { startRegistry } from "../helpers/registry.ts";
import { ecKeyPair } from "../helpers/sigstore.ts";

const chart = (version: string) => ({
  "Chart.yaml": `apiVersion: v2\nname: mychart\nversion: ${version}\n`,
  "values.yaml": "replicaCount: 1\n",
  "templates/service.yaml": "kind: Service\n",
});

const root = new URL("../../", import.meta.url).pathname;

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

/** The two sides of a parity test, each with its own sandbox and repository on one registry. */
async function paritySides(host: string) {
  const cli = await sandbox();
  const lib = await sandbox();
  const env = (box: Sandbox) => ({
    ...box.env,
    SOURCE_DATE_EPOCH: "1700000000",
    DENO_DIR: denoDir,
  });
  const repo = (side: string) => `${host}/${side}/mychart`;
  return {
    cli,
    lib,
    env,
    repo,
    /** Runs an h3 command on the CLI's side. */
    run: (args: string[]) => cli.run(args, { env: env(cli) }),
    /** Runs a library script on the library's side; what it returns comes back. */
    // deno-lint-ignore no-explicit-any
    library: (body: string): Promise<any> => libraryScript(lib, env(lib), body),
    /** A value of one side with its repository written as REPO, to compare with the other's. */
    same: (value: unknown, side: string) =>
      JSON.parse(JSON.stringify(value).replaceAll(repo(side), "REPO")),
    async [Symbol.asyncDispose]() {
      await cli[Symbol.asyncDispose]();
      await lib[Symbol.asyncDispose]();
    },
  };
}

Deno.test("each CLI command and the same library call give the same outcome", async (t) => {
  await using registry = await startRegistry();
  await using sides = await paritySides(registry.host);
  const { cli, lib, env, repo, run, library, same } = sides;
  for (const box of [cli, lib]) {
    for (const version of ["1.0.0", "1.1.0", "2.0.0-rc.1"]) {
      await writeTree(`${box.dir}/charts/${version}`, chart(version));
    }
  }

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

  await t.step(
    "pull of an exact version: onStart hears its tag once, before any blob moves",
    async () => {
      const heard = await library(`
      const heard = [];
      await h3.pull("${repo("lib")}", {
        version: "1.1.0",
        onStart: (ref) => heard.push("start " + ref.tag),
        onEvent: (event) => heard.push(event.kind),
      });
      await h3.pull("oci://${repo("lib")}", {
        version: "1.0.0",
        destination: "${lib.dir}/heard",
        onStart: (ref) => heard.push("start " + ref.tag),
      });
      return heard;
    `);
      assert.equal(heard[0], "start 1.1.0", heard.join());
      assert.deepEqual(heard.filter((h: string) => h.startsWith("start")), [
        "start 1.1.0",
        "start 1.0.0",
      ]);
      assert.ok(heard.indexOf("start 1.0.0") > heard.lastIndexOf("done"), heard.join());
    },
  );

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
    for (const box of [cli, lib]) {
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

/** What a library call threw, as a script returns it. */
const caught = "(e) => ({ name: e.name, message: e.message, setting: e.setting })";

Deno.test("push, pull, referrers and delete: the CLI and the library give the same files, cache and errors", async (t) => {
  await using registry = await startRegistry();
  await using sides = await paritySides(registry.host);
  const { cli, lib, repo, run, library, same } = sides;
  const src = repo("src");
  // What both sides read: 1.0.0 and 1.1.0 unsigned; 2.7.0 with Helm provenance and a cosign signature.
  await using maker = await sandbox();
  const make = (args: string[]) => maker.run(args, { env: sides.env(maker) });
  const pg = await gnupg(maker.dir);
  const keys = await ecKeyPair(maker.dir);
  for (const version of ["1.0.0", "1.1.0"]) {
    await writeTree(`${maker.dir}/charts/${version}`, chart(version));
    expectCode(await make(["chart", "save", `charts/${version}`, src]), 0);
    expectCode(await make(["chart", "push", `${src}:${version}`]), 0);
  }
  const signing = ["--sign", "--key", "Test Signer", "--keyring", pg.secring];
  expectCode(await make(["chart", "save", fixtureChart, src, ...signing]), 0);
  expectCode(await make(["chart", "push", `${src}:2.7.0`]), 0);
  expectCode(await make(["chart", "sign", `${src}:2.7.0`, "--key", keys.private]), 0);
  for (const box of [cli, lib]) {
    await Deno.copyFile(keys.public, `${box.dir}/cosign.pub`);
    await Deno.copyFile(pg.pubring, `${box.dir}/pubring.gpg`);
    await writeTree(`${box.dir}/charts/1.0.0`, chart("1.0.0"));
  }
  /** Both caches: each ref (its repository written as REPO) and its chart's content digest. */
  const caches = async () => {
    const listed = JSON.parse(expectCode(await run(["chart", "list", "-o", "json"]), 0).stdout);
    type Entry = { ref: string; desc: { annotations: Record<string, string> } };
    const entries: Entry[] = await library(`return await h3.list();`);
    return [
      same(listed.map((e: { ref: string; digest: string }) => [e.ref, e.digest]), "cli"),
      same(entries.map((e) => [e.ref, e.desc.annotations["sh.h3.content.digest"]]), "lib"),
    ];
  };

  await t.step("push a cached ref: the same manifest and blobs sent, then nothing", async () => {
    expectCode(await run(["chart", "save", "charts/1.0.0", repo("cli")]), 0);
    const first = JSON.parse(
      expectCode(await run(["chart", "push", repo("cli"), "-o", "json"]), 0).stdout,
    );
    const again = JSON.parse(
      expectCode(await run(["chart", "push", `${repo("cli")}:1.0.0`, "-o", "json"]), 0).stdout,
    );
    const [pushed, repeated] = await library(`
      await h3.save("charts/1.0.0", "${repo("lib")}");
      return [await h3.push("${repo("lib")}"), await h3.push("${repo("lib")}:1.0.0")];
    `);
    const outcome = (r: { desc: { digest: string }; copied: { digest: string }[] }) => ({
      digest: r.desc.digest,
      sent: r.copied.map((d) => d.digest),
    });
    assert.deepEqual(outcome(pushed), { digest: first[0].digest, sent: first[0].sent });
    assert.equal(first[0].status, "pushed");
    assert.equal(pushed.ref.tag, "1.0.0");
    assert.deepEqual(outcome(repeated), { digest: again[0].digest, sent: [] });
    assert.equal(again[0].status, "exists");
    assert.equal(repeated.upToDate, true);
  });

  await t.step("push a ref that is not cached: the same error", async () => {
    const failed = expectCode(await run(["chart", "push", `${repo("cli")}:9.9.9`]), 1);
    const error = await library(
      `return await h3.push("${repo("lib")}:9.9.9").then(() => null, ${caught});`,
    );
    assert.equal(same(failed.stderr, "cli"), same(`Error: ${error.message}\n`, "lib"));
  });

  await t.step("push a packaged chart (.tgz): the same reference and manifest", async () => {
    expectCode(await run(["chart", "pull", `oci://${src}`, "--version", "1.0.0", "-d", "out"]), 0);
    await Deno.mkdir(`${lib.dir}/out`);
    await Deno.copyFile(`${cli.dir}/out/mychart-1.0.0.tgz`, `${lib.dir}/out/mychart-1.0.0.tgz`);
    const out = await run([
      "chart",
      "push",
      "out/mychart-1.0.0.tgz",
      `oci://${registry.host}/cli`,
      "-o",
      "json",
    ]);
    const [reported] = JSON.parse(expectCode(out, 0).stdout);
    const pushed = await library(
      `return await h3.push("out/mychart-1.0.0.tgz", { remote: "oci://${registry.host}/lib" });`,
    );
    assert.equal(reported.ref, `${repo("cli")}:1.0.0`);
    assert.equal(formatReference(pushed.ref), `${repo("lib")}:1.0.0`);
    assert.equal(pushed.desc.digest, reported.digest);
    assert.equal(pushed.parts.content.digest, reported.content);
  });

  await t.step("pull a range: the same version into the same cache", async () => {
    const out = await run(["chart", "pull", src, "--version", "^1.0.0", "-o", "json"]);
    const [pulled] = JSON.parse(expectCode(out, 0).stdout);
    const result = await library(`return await h3.pull("${src}", { version: "^1.0.0" });`);
    assert.equal(pulled.version, "1.1.0");
    assert.equal(result.ref.tag, "1.1.0");
    assert.equal(result.desc.digest, pulled.digest);
    const [cliCache, libCache] = await caches();
    assert.deepEqual(libCache, cliCache);
  });

  await t.step("pull --prov and --untar: the same files", async () => {
    const prov = ["chart", "pull", `oci://${src}`, "--version", "2.7.0", "--prov", "-d", "prov"];
    expectCode(await run(prov), 0);
    expectCode(await run(["chart", "pull", `${src}:2.7.0`, "--untar", "-d", "tree"]), 0);
    const [file, tree] = await library(`return [
      await h3.pull("oci://${src}", { version: "2.7.0", prov: true, destination: "prov" }),
      await h3.pull("${src}:2.7.0", { untar: true, destination: "tree" }),
    ];`);
    assert.equal(file.path, "prov/mychart-2.7.0.tgz");
    assert.equal(file.provPath, "prov/mychart-2.7.0.tgz.prov");
    for (const name of ["mychart-2.7.0.tgz", "mychart-2.7.0.tgz.prov"]) {
      assert.deepEqual(
        await Deno.readFile(`${lib.dir}/prov/${name}`),
        await Deno.readFile(`${cli.dir}/prov/${name}`),
      );
    }
    assert.equal(tree.path, "tree/mychart");
    assert.deepEqual(
      await readTree(`${lib.dir}/tree/mychart`),
      await readTree(`${cli.dir}/tree/mychart`),
    );
  });

  await t.step("--prov without Helm's form: refused by both, named as each names it", async () => {
    const refused = expectCode(await run(["chart", "pull", `${src}:2.7.0`, "--prov"]), 2);
    assert.equal(
      refused.stderr,
      "Error: --prov writes files: use Helm's form (oci://REF --version X, or --destination DIR)\n",
    );
    const error = await library(
      `return await h3.pull("${src}:2.7.0", { prov: true }).then(() => null, ${caught});`,
    );
    assert.deepEqual(error, {
      name: "SettingError",
      setting: "prov",
      message: "prov writes files: use Helm's form (oci://REF version X, or destination DIR)",
    });
  });

  await t.step(
    "verify: a cosign key and a keyring vouch; an unsigned chart is refused by both",
    async () => {
      const byKey = [
        "chart",
        "pull",
        `${src}:2.7.0`,
        "--verify",
        "--key",
        "cosign.pub",
        "-o",
        "json",
      ];
      const [pulled] = JSON.parse(expectCode(await run(byKey), 0).stdout);
      const byRing = ["--verify", "--keyring", "pubring.gpg", "--untar", "-d", "verified"];
      expectCode(await run(["chart", "pull", `${src}:2.7.0`, ...byRing]), 0);
      const unsigned = ["chart", "pull", `${src}:1.0.0`, "--verify", "--key", "cosign.pub"];
      const refused = expectCode(await run(unsigned), 1);
      const [result, tree, error] = await library(`return [
      await h3.pull("${src}:2.7.0", { verify: true, keys: ["cosign.pub"] }),
      await h3.pull("${src}:2.7.0", {
        verify: true,
        keyrings: ["pubring.gpg"],
        untar: true,
        destination: "verified",
      }),
      await h3.pull("${src}:1.0.0", { verify: true, keys: ["cosign.pub"] }).then(() => null, ${caught}),
    ];`);
      assert.equal(result.desc.digest, pulled.digest);
      assert.equal(tree.path, "verified/mychart");
      assert.deepEqual(
        await readTree(`${lib.dir}/verified/mychart`),
        await readTree(`${cli.dir}/verified/mychart`),
      );
      assert.equal(error.name, "SignatureError");
      assert.equal(refused.stderr, `Error: ${error.message}\n`);
      const [cliCache, libCache] = await caches();
      assert.deepEqual(libCache, cliCache);
      assert.ok(
        !cliCache.some(([ref]: string[]) => ref.endsWith(":1.0.0") && ref.includes("/src/")),
      );
    },
  );

  await t.step(
    "--verify with nothing to verify with, and a key without --verify: refused by both",
    async () => {
      const noKey = expectCode(await run(["chart", "pull", `${src}:2.7.0`, "--verify"]), 2);
      assert.match(
        noKey.stderr,
        /^Error: --verify needs --key FILE \(a cosign public key\), --keyring FILE/,
      );
      const noVerify = ["chart", "pull", `${src}:2.7.0`, "--key", "cosign.pub"];
      const unasked = expectCode(await run(noVerify), 2);
      assert.equal(
        unasked.stderr,
        "Error: --key, --keyring and --certificate-* are for checking signatures: add --verify\n",
      );
      const errors = await library(`return [
      await h3.pull("${src}:2.7.0", { verify: true }).then(() => null, ${caught}),
      await h3.pull("${src}:2.7.0", { keys: ["cosign.pub"] }).then(() => null, ${caught}),
    ];`);
      assert.deepEqual(errors.map((e: { name: string; setting: string }) => [e.name, e.setting]), [
        ["SettingError", "verify"],
        ["SettingError", "verify"],
      ]);
      assert.match(
        errors[0].message,
        /^verify needs keys FILE \(a cosign public key\), keyrings FILE/,
      );
      assert.equal(
        errors[1].message,
        "keys, keyrings and identities are for checking signatures: add verify",
      );
    },
  );

  await t.step("referrers: the same chart resolved and the same referrers", async () => {
    const out = await run(["chart", "referrers", src, "-o", "json"]);
    const listed = JSON.parse(expectCode(out, 0).stdout);
    const text = expectCode(await run(["chart", "referrers", src]), 0).stdout;
    const found = await library(`return await h3.referrers("${src}");`);
    assert.equal(formatReference(found.ref), `${src}:2.7.0`);
    assert.equal(listed.subject, `${src}:2.7.0`);
    assert.equal(found.subject.digest, listed.digest);
    assert.equal(text.split("\n")[0], `${src}:2.7.0@${found.subject.digest}`);
    const digests = (rs: { desc?: { digest: string }; digest?: string }[]) =>
      rs.map((r) => r.desc?.digest ?? r.digest);
    assert.equal(found.referrers.length, 1);
    assert.deepEqual(digests(found.referrers), digests(listed.referrers));
    const missing = expectCode(await run(["chart", "referrers", `${src}:9.9.9`]), 1);
    const error = await library(
      `return await h3.referrers("${src}:9.9.9").then(() => null, ${caught});`,
    );
    assert.equal(missing.stderr, `Error: ${error.message}\n`);
  });

  await t.step("delete --remote: the same manifest deleted; no tag, the same refusal", async () => {
    const out = await run(["chart", "delete", `${repo("cli")}:1.0.0`, "--remote", "-o", "json"]);
    const [deleted] = JSON.parse(expectCode(out, 0).stdout);
    const noTag = expectCode(await run(["chart", "delete", repo("cli"), "--remote"]), 2);
    const [result, error] = await library(`return [
      await h3.deleteRemote("${repo("lib")}:1.0.0"),
      await h3.deleteRemote("${repo("lib")}").then(() => null, ${caught}),
    ];`);
    assert.equal(deleted.status, "deleted");
    assert.equal(result.desc.digest, deleted.digest);
    assert.equal(error.name, "RefError");
    assert.equal(same(noTag.stderr, "cli"), same(`Error: ${error.message}\n`, "lib"));
    for (const side of ["cli", "lib"]) {
      const tags = await run(["chart", "tags", repo(side), "-o", "json"]);
      assert.deepEqual(JSON.parse(expectCode(tags, 0).stdout), [], side);
    }
  });
});

Deno.test("concurrency(): the option, then H3_CONCURRENCY, then config.yaml's, then 8", async () => {
  await using box = await sandbox();
  const env = { ...box.env, DENO_DIR: denoDir };
  const ask = (extra: Record<string, string>) =>
    libraryScript(box, { ...env, ...extra }, "return await h3.concurrency();");
  assert.equal(await ask({}), 8);
  await Deno.mkdir(box.helmHome, { recursive: true });
  await Deno.writeTextFile(`${box.helmHome}/config.yaml`, "concurrency: 3\n");
  assert.equal(await ask({}), 3);
  assert.equal(await ask({ H3_CONCURRENCY: "5" }), 5);
  const own =
    `await using own = await (await import("${root}mod.ts")).openH3({ concurrency: 2 });\n` +
    "return await own.concurrency();";
  assert.equal(await libraryScript(box, { ...env, H3_CONCURRENCY: "5" }, own), 2);
});
