/**
 * The bundle: `deno task bundle --plugin PATH` makes `h3.js` and its `h3.chunks/` folder, which run
 * with a bare `deno run -A h3.js` from any directory, with its baked plugins working from an empty
 * HELM_HOME; a start reads only the chunks it runs. Built once for the whole file.
 */
import assert from "node:assert/strict";
import { bundleStartPath, nodeLayerModules } from "../../bench/_start_path.ts";
import { buildCommit } from "../../scripts/_build.ts";
import { expectCode, type RunOptions, sandbox } from "../helpers/cli.ts";
import { minimalChart, writeTree } from "../helpers/charts.ts";
import { startHtpasswdRegistry } from "../helpers/htpasswd_registry.ts";

const root = new URL("../../", import.meta.url).pathname;
const password = "baked-in-pw";

const bakedPlugin = `
export default {
  name: "baked-hello",
  version: "0.9.0",
  description: "Baked into the bundle",
  commands: [{
    name: "baked-hello",
    description: "Greets from inside the bundle",
    options: [{ name: "shout", type: "boolean" }],
    async run(ctx) {
      const line = "hello " + ctx.args.join(" ") + " from " + ctx.config.helmHome;
      console.log(ctx.options.shout ? line.toUpperCase() : line);
      console.log("charts: " + (await ctx.h3.list()).length);
    },
  }],
  credentials: (registry) =>
    registry === Deno.env.get("BAKED_REGISTRY")
      ? { username: "bob", password: "${password}" }
      : undefined,
};
`;

Deno.test("a bundle with a baked plugin", async (t) => {
  await using build = await sandbox();
  await Deno.mkdir(`${build.dir}/baked_hello`);
  await Deno.writeTextFile(`${build.dir}/baked_hello/plugin.ts`, bakedPlugin);
  const bundle = `${build.dir}/out/h3.js`;
  const built = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "scripts/bundle.ts",
      "--plugin",
      `${build.dir}/baked_hello`,
      "--output",
      bundle,
    ],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(built.code, 0, new TextDecoder().decode(built.stderr));
  const expectedCommit = await buildCommit();
  assert.deepEqual([...Deno.readDirSync(`${build.dir}/out`)].map((e) => e.name).sort(), [
    "h3.chunks",
    "h3.js",
    "mod.js",
  ]);

  // Run a copy from a directory of its own, as a user who downloaded it would.
  await using sandboxed = await sandbox();
  await Deno.copyFile(bundle, `${sandboxed.dir}/h3.js`);
  await Deno.copyFile(`${build.dir}/out/mod.js`, `${sandboxed.dir}/mod.js`);
  const chunks = `${sandboxed.dir}/h3.chunks`;
  await Deno.mkdir(chunks);
  for (const chunk of Deno.readDirSync(`${build.dir}/out/h3.chunks`)) {
    await Deno.copyFile(`${build.dir}/out/h3.chunks/${chunk.name}`, `${chunks}/${chunk.name}`);
  }
  const box = {
    ...sandboxed,
    run: (args: string[], options: RunOptions = {}) =>
      sandboxed.run(args, { ...options, entry: `${sandboxed.dir}/h3.js` }),
  };

  await t.step("the baked plugin's command works with an empty HELM_HOME", async () => {
    const result = expectCode(await box.run(["baked-hello", "world", "--shout"]), 0);
    assert.equal(result.stdout, `HELLO WORLD FROM ${box.helmHome.toUpperCase()}\ncharts: 0\n`);
    assert.equal(result.stderr, "");
    await assert.rejects(Deno.stat(`${box.helmHome}/plugins`), Deno.errors.NotFound);
  });

  await t.step("plugin list shows the baked plugins as built-in", async () => {
    const table = expectCode(await box.run(["plugin", "list"]), 0).stdout;
    assert.match(table, /^NAME\s+VERSION\s+KIND\s+DESCRIPTION\n/);
    assert.match(table, /\nbaked-hello\s+0\.9\.0\s+built-in\s+Baked into the bundle\n/);
    assert.match(table, /\ncredential-process\s+1\.0\.0\s+built-in\s+Registry credentials/);
    assert.match(expectCode(await box.run(["--help"]), 0).stdout, /baked-hello .*Greets from/);
  });

  await t.step("baked plugins cannot be removed or shadowed", async () => {
    const removed = expectCode(await box.run(["plugin", "remove", "baked-hello"]), 1);
    assert.equal(
      removed.stderr,
      `Error: plugin "baked-hello" is built into this h3 and cannot be removed\n`,
    );
    await Deno.writeTextFile(`${box.dir}/again.ts`, bakedPlugin);
    const added = expectCode(await box.run(["plugin", "add", "again.ts"]), 1);
    assert.match(
      added.stderr,
      /^Checking plugin baked-hello 0\.9\.0 from again\.ts \(sha256 [0-9a-f]{64}\)\nError: plugin "baked-hello" is built into this h3\n$/,
    );
  });

  await t.step("no Node built-in loads at start; commands load theirs on use", async () => {
    // A static `node:` import in a chunk would load with it (see scripts/_lazy_builtins.ts).
    for (const chunk of Deno.readDirSync(chunks)) {
      const code = await Deno.readTextFile(`${chunks}/${chunk.name}`);
      assert.doesNotMatch(code, /\bimport[^;()]*?["']node:/, chunk.name);
    }
    const script = expectCode(await box.run(["completion", "bash"]), 0).stdout;
    assert.match(script, /complete .*h3/); // the completion library asserts with node:assert
  });

  await t.step("--version, --help and chart list run without openpgp and Sigstore", async () => {
    // Their chunks, found by strings of the libraries themselves: openpgp's version string and an
    // error code of @sigstore/verify. Set aside, a start that reads them fails to load.
    const heavy = [];
    for (const chunk of Deno.readDirSync(chunks)) {
      const code = await Deno.readTextFile(`${chunks}/${chunk.name}`);
      if (/OpenPGP\.js|TLOG_INCLUSION_PROOF_ERROR/.test(code)) heavy.push(chunk.name);
    }
    assert.ok(heavy.length >= 2, `openpgp and @sigstore/verify chunks: ${heavy}`);
    // What Deno reads before anything runs (static imports, literal dynamic ones): a few KiB.
    const start = await bundleStartPath(`${box.dir}/h3.js`);
    assert.ok(start.bytes! < 64 * 1024, `${start.files} files, ${start.bytes} bytes at start`);
    await Deno.mkdir(`${box.dir}/aside`);
    for (const name of heavy) await Deno.rename(`${chunks}/${name}`, `${box.dir}/aside/${name}`);
    try {
      assert.match(expectCode(await box.run(["--version"]), 0).stdout, /^h3 /);
      assert.match(expectCode(await box.run(["--help"]), 0).stdout, /\n {2}chart /);
      assert.match(expectCode(await box.run(["chart", "list"]), 0).stdout, /^REF\s+NAME\s+VERSION/);
    } finally {
      for (const name of heavy) await Deno.rename(`${box.dir}/aside/${name}`, `${chunks}/${name}`);
    }
  });

  await t.step(
    "the start file answers the common starts alone, and hands the rest over",
    async () => {
      // With every chunk but the start file set aside, what it answers still works; what needs
      // another command, gunshi or a plugin fails to load the whole program (and works with it).
      const aside = `${box.dir}/aside-all`;
      await Deno.mkdir(aside);
      const others = [...Deno.readDirSync(chunks)].map((e) => e.name).filter((n) =>
        n !== "start.js"
      );
      for (const name of others) await Deno.rename(`${chunks}/${name}`, `${aside}/${name}`);
      try {
        assert.match(expectCode(await box.run(["--version"]), 0).stdout, /^h3 /);
        assert.match(expectCode(await box.run(["--help"]), 0).stdout, /baked-hello .*Greets from/);
        assert.match(expectCode(await box.run(["help", "chart"]), 0).stdout, /\n {2}list /);
        assert.match(
          expectCode(await box.run(["chart", "list"]), 0).stdout,
          /^REF\s+NAME\s+VERSION/,
        );
        assert.match(expectCode(await box.run(["plugin", "list"]), 0).stdout, /baked-hello/);
        const typo = expectCode(await box.run(["chart", "lst"]), 2);
        assert.equal(
          typo.stderr,
          `Error: unknown command "lst" for "h3 chart"; did you mean "list"?\n`,
        );
        assert.equal(expectCode(await box.run(["chart", "list", "-o", "json"]), 0).stdout, "[]\n");
        for (const args of [["env"], ["chart", "list", "-o=json"], ["baked-hello"]]) {
          assert.match((await box.run(args)).stderr, /entry\.js/, args.join(" "));
        }
      } finally {
        for (const name of others) await Deno.rename(`${aside}/${name}`, `${chunks}/${name}`);
      }
      assert.match(expectCode(await box.run(["env"]), 0).stdout, /^HELM_HOME=/);
    },
  );

  await t.step("a start naming another built-in command skips the start file", async () => {
    // h3.js sends it straight to the whole program: with the start file set aside, it still runs,
    // and what the start file answers fails to load.
    await Deno.rename(`${chunks}/start.js`, `${box.dir}/start.js`);
    try {
      assert.match(expectCode(await box.run(["env"]), 0).stdout, /^HELM_HOME=/);
      const exported = expectCode(
        await box.run(["--debug", "chart", "export", "nothing:1.0.0", "-d", "out"]),
        1,
      );
      assert.match(
        exported.stderr,
        /Error: chart "docker\.io\/library\/nothing:1\.0\.0" not found/,
      );
      for (const args of [["chart", "list"], ["chart"], ["baked-hello"], ["chart", "nope"]]) {
        assert.match((await box.run(args)).stderr, /start\.js/, args.join(" "));
      }
    } finally {
      await Deno.rename(`${box.dir}/start.js`, `${chunks}/start.js`);
    }
  });

  await t.step("commands with little to parse run without gunshi", async () => {
    // gunshi's chunks, found by its own strings: its cli's "Command not found" and its argument
    // tokenizer's "option-terminator". Set aside, a command that loads gunshi fails.
    const gunshi = [];
    for (const chunk of Deno.readDirSync(chunks)) {
      const code = await Deno.readTextFile(`${chunks}/${chunk.name}`);
      if (/Command not found|option-terminator/.test(code)) gunshi.push(chunk.name);
    }
    assert.ok(gunshi.length >= 2, `gunshi's chunks: ${gunshi}`);
    await Deno.mkdir(`${box.dir}/aside-gunshi`);
    for (const name of gunshi) {
      await Deno.rename(`${chunks}/${name}`, `${box.dir}/aside-gunshi/${name}`);
    }
    try {
      assert.match(expectCode(await box.run(["chart", "list"]), 0).stdout, /^REF\s+NAME\s+VERSION/);
      assert.match(expectCode(await box.run(["env"]), 0).stdout, /^HELM_HOME=/);
      assert.match(expectCode(await box.run(["plugin", "list"]), 0).stdout, /baked-hello/);
      const missing = expectCode(await box.run(["chart", "remove", "nothing:1.0.0"]), 1);
      assert.match(
        missing.stderr,
        /^Error: chart "docker\.io\/library\/nothing:1\.0\.0" not found/,
      );
      const exported = expectCode(
        await box.run(["chart", "export", "nothing:1.0.0", "--destination", "out", "--force"]),
        1,
      );
      assert.match(
        exported.stderr,
        /^Error: chart "docker\.io\/library\/nothing:1\.0\.0" not found/,
      );
      assert.equal(
        expectCode(await box.run(["chart", "list", "--output", "json"]), 0).stdout,
        "[]\n",
      );
      // Any other form of an option is gunshi's to parse: without its chunks, that start fails.
      assert.notEqual((await box.run(["chart", "list", "-o=json"])).code, 0);
    } finally {
      for (const name of gunshi) {
        await Deno.rename(`${box.dir}/aside-gunshi/${name}`, `${chunks}/${name}`);
      }
    }
    assert.equal(expectCode(await box.run(["chart", "list", "-o", "json"]), 0).stdout, "[]\n");
  });

  await t.step("--version names the commit it was built from", async () => {
    const result = expectCode(await box.run(["--version"]), 0);
    assert.equal(result.stdout, `h3 ${await version()} (commit ${expectedCommit})\n`);
    assert.match(expectedCommit, /^[0-9a-f]{12}(-dirty)?$/);
    // h3.js answers a lone --version itself: with the chunks set aside it still prints the line;
    // anything more on the command line is main.ts's to run, from the chunks.
    await Deno.rename(chunks, `${chunks}.aside`);
    try {
      assert.equal(expectCode(await box.run(["-v"]), 0).stdout, result.stdout);
      assert.equal(expectCode(await box.run(["--version"]), 0).stdout, result.stdout);
      assert.match((await box.run(["--debug", "--version"])).stderr, /start\.js/);
    } finally {
      await Deno.rename(`${chunks}.aside`, chunks);
    }
    assert.equal(expectCode(await box.run(["--debug", "--version"]), 0).stdout, result.stdout);
  });

  await t.step("h3.js answers h3's help page itself until a plugin is installed", async () => {
    // the program's own page (--debug takes the start to main.ts)
    const page = expectCode(await box.run(["--debug", "--help"]), 0).stdout;
    assert.match(page, /^h3: keep Helm charts in OCI registries\n[^]*\n {2}baked-hello /);
    await Deno.rename(chunks, `${chunks}.aside`);
    try {
      for (const args of [["--help"], ["-h"], []]) {
        const answered = expectCode(await box.run(args), 0);
        assert.deepEqual([answered.stdout, answered.stderr], [page, ""], args.join(" "));
      }
    } finally {
      await Deno.rename(`${chunks}.aside`, chunks);
    }
    // An installed plugin's command is on the page: the program writes it.
    await Deno.writeTextFile(
      `${box.dir}/local.ts`,
      bakedPlugin.replaceAll("baked-hello", "local-hello"),
    );
    expectCode(await box.run(["plugin", "add", "local.ts"]), 0);
    try {
      const withPlugin = expectCode(await box.run(["--help"]), 0).stdout;
      assert.match(withPlugin, /\n {2}local-hello +Greets from inside the bundle\n/);
      assert.equal(withPlugin.replace(/ {2}local-hello .*\n/, ""), page);
    } finally {
      expectCode(await box.run(["plugin", "remove", "local-hello"]), 0);
    }
  });

  await t.step("built-in commands do real work in the bundle", async () => {
    await writeTree(`${box.dir}/mychart`, minimalChart);
    const saved = expectCode(
      await box.run(["chart", "save", "mychart", "localhost:5000/myrepo/mychart:latest"]),
      0,
    );
    assert.match(saved.stdout, /\nlatest: saved\n$/);
    const listed = expectCode(await box.run(["baked-hello"]), 0);
    assert.match(listed.stdout, /\ncharts: 1\n$/);
  });

  await t.step("commands that need no Node API do not load Deno's Node layer", async () => {
    // The first use of `process` or `Buffer`, even `typeof process`, loads it (~25 ms of CPU).
    const run = (...args: string[]) =>
      nodeLayerModules({ entry: `${box.dir}/h3.js`, args, env: box.env, cwd: box.dir });
    const ref = "localhost:5000/myrepo/mychart:latest";
    for (
      const args of [
        ["--version"],
        ["--help"],
        ["chart", "list"],
        ["env"],
        ["plugin", "list"],
        ["chart", "show", "chart", ref],
        ["chart", "export", ref, "--destination", "exported"],
        ["chart", "remove", ref],
        ["chart", "save", "mychart", ref],
      ]
    ) {
      assert.deepEqual(await run(...args), [], args.join(" "));
    }
    // Completion's library asserts with node:assert: the probe sees the layer when it loads.
    const completion = await run("completion", "bash");
    assert.ok(completion.length > 0, "no Node layer module ran for completion bash");
  });

  await t.step(
    "the baked plugin's credentials push to a registry with htpasswd auth, without the YAML and tar readers",
    async () => {
      await using registry = await startHtpasswdRegistry(box.dir, "bob", password);
      const ref = `${registry.host}/baked/mychart:1.0.0`;
      expectCode(await box.run(["chart", "save", "mychart", ref]), 0);
      // A cached chart's push sends stored blobs: yaml's and modern-tar's chunks (found by their own
      // strings), set aside, are never loaded.
      const readers = [...Deno.readDirSync(chunks)].map((e) => e.name).filter((name) =>
        /YAMLParseError|ustar/.test(Deno.readTextFileSync(`${chunks}/${name}`))
      );
      assert.ok(readers.length >= 2, `yaml's and modern-tar's chunks: ${readers}`);
      const aside = `${box.dir}/aside-readers`;
      await Deno.mkdir(aside);
      for (const name of readers) await Deno.rename(`${chunks}/${name}`, `${aside}/${name}`);
      try {
        const refused = expectCode(await box.run(["chart", "push", ref]), 1);
        assert.match(refused.stderr, /authentication required/);
        const pushed = expectCode(
          await box.run(["chart", "push", ref], { env: { BAKED_REGISTRY: registry.host } }),
          0,
        );
        assert.match(pushed.stdout, /\n1\.0\.0: pushed to remote \(2 layers, .* total\)\n$/);
      } finally {
        for (const name of readers) await Deno.rename(`${aside}/${name}`, `${chunks}/${name}`);
      }
      await assert.rejects(Deno.stat(`${box.dir}/docker/config.json`), Deno.errors.NotFound);
    },
  );

  await t.step("mod.js is the library for scripts outside h3's checkout", async () => {
    await Deno.writeTextFile(
      `${box.dir}/script.ts`,
      `import { list, version } from "./mod.js";\nconsole.log(version, (await list()).map((e) => e.ref).join(","));\n`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", "--no-config", "script.ts"],
      cwd: box.dir,
      env: box.env,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const refs = new TextDecoder().decode(out.stdout);
    assert.ok(refs.startsWith(`${await version()} `), refs);
    assert.match(refs, /localhost:5000\/myrepo\/mychart:latest/);
  });
});

async function version(): Promise<string> {
  return JSON.parse(await Deno.readTextFile(`${root}deno.json`)).version;
}
