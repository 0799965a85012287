/**
 * `h3 plugin add|list|remove`: what gets installed from a file, a directory, a URL; how plugins are
 * listed; every kind of bad plugin refused with a clear error and nothing left behind; and a plugin
 * that breaks after it was added breaks nothing else.
 */
import assert from "node:assert/strict";
import { expectCode, type Sandbox, sandbox } from "../helpers/cli.ts";

const plugin = (fields: string) => `export default { ${fields} };\n`;
const good = (name: string, extra = "") =>
  plugin(
    `name: "${name}", version: "1.0.0", description: "The ${name} plugin", ${extra}
     commands: [{ name: "${name}", description: "Run ${name}", run: (ctx) => console.log("${name} ran " + ctx.args.join(" ")) }]`,
  );

async function write(box: Sandbox, path: string, text: string): Promise<string> {
  const full = `${box.dir}/${path}`;
  await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
  await Deno.writeTextFile(full, text);
  return path;
}

/** The plugins dir's entries, to prove a refused add left nothing behind. */
async function pluginsDirEntries(box: Sandbox): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(`${box.helmHome}/plugins`)) names.push(e.name);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names.sort();
}

Deno.test("add, list and remove", async (t) => {
  await using box = await sandbox();

  await t.step("a module file, a directory with plugin.ts, a Helm plugin dir", async () => {
    await write(box, "one.ts", good("one"));
    await write(box, "two/helper.ts", `export const who = "two";\n`);
    await write(
      box,
      "two/plugin.ts",
      `import { who } from "./helper.ts";\n` +
        plugin(
          `name: "two", version: "2.0.0-rc.1", description: "Needs its helper",
           commands: [{ name: "two", description: "d", run: () => console.log(who + " ran") }]`,
        ),
    );
    await write(
      box,
      "three/plugin.yaml",
      `name: three\nversion: 3.0.0\nusage: "run three"\ndescription: "Executable three"\ncommand: "echo three"\n`,
    );
    for (const [source, line] of [["one.ts", "one 1.0.0"], ["two", "two 2.0.0-rc.1"]]) {
      assert.equal(
        expectCode(await box.run(["plugin", "add", source]), 0).stdout,
        `Installed plugin: ${line}\n`,
      );
    }
    expectCode(await box.run(["plugin", "add", `${box.dir}/three/`]), 0);
    assert.equal(expectCode(await box.run(["two"]), 0).stdout, "two ran\n");
    assert.equal(expectCode(await box.run(["three", "x"]), 0).stdout, "three x\n");
    assert.deepEqual(await pluginsDirEntries(box), [
      ".lock",
      "one",
      "plugins.json",
      "three",
      "two",
    ]);
  });

  await t.step("list shows an aligned table, or JSON", async () => {
    const table = expectCode(await box.run(["plugin", "list"]), 0).stdout;
    assert.equal(
      table,
      [
        "NAME    VERSION         KIND            DESCRIPTION",
        "one     1.0.0           typescript      The one plugin",
        "two     2.0.0-rc.1      typescript      Needs its helper",
        "three   3.0.0           executable      Executable three",
        "",
      ].join("\n"),
    );
    const json = JSON.parse(expectCode(await box.run(["plugin", "list", "-o", "json"]), 0).stdout);
    assert.deepEqual(json.map((p: { name: string; kind: string }) => [p.name, p.kind]), [
      ["one", "typescript"],
      ["two", "typescript"],
      ["three", "executable"],
    ]);
    assert.deepEqual(json[0].commands, [{ name: "one", description: "Run one" }]);
    expectCode(await box.run(["plugin", "list", "--output", "yaml"]), 2);
  });

  await t.step("remove deletes the plugin, its files and its command", async () => {
    assert.equal(
      expectCode(await box.run(["plugin", "remove", "two"]), 0).stdout,
      "Uninstalled plugin: two\n",
    );
    assert.deepEqual(await pluginsDirEntries(box), [".lock", "one", "plugins.json", "three"]);
    const gone = expectCode(await box.run(["two"]), 2);
    assert.match(gone.stderr, /^Error: unknown command "two" for "h3"/);
    const again = expectCode(await box.run(["plugin", "remove", "two"]), 1);
    assert.equal(again.stderr, `Error: plugin "two" is not installed\n`);
  });

  await t.step("a plugin from an http URL", async () => {
    await using server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      (request) =>
        new URL(request.url).pathname === "/web.ts"
          ? new Response(good("web"))
          : new Response("no", { status: 404 }),
    );
    const base = `http://127.0.0.1:${server.addr.port}`;
    expectCode(await box.run(["plugin", "add", `${base}/web.ts`]), 0);
    assert.equal(expectCode(await box.run(["web", "a"]), 0).stdout, "web ran a\n");
    const missing = expectCode(await box.run(["plugin", "add", `${base}/missing.ts`]), 1);
    assert.equal(
      missing.stderr,
      `Error: cannot download plugin ${base}/missing.ts: HTTP 404\n`,
    );
  });
});

Deno.test("bad plugins are refused with a clear error and leave nothing behind", async (t) => {
  await using box = await sandbox();
  await write(box, "ok.ts", good("ok"));
  expectCode(await box.run(["plugin", "add", "ok.ts"]), 0);
  const before = await Deno.readTextFile(`${box.helmHome}/plugins/plugins.json`);
  const cases: [string, string, string | undefined, string | RegExp][] = [
    ["missing file", "nope.ts", undefined, `cannot add plugin: nope.ts does not exist`],
    [
      "not a module",
      "notes.txt",
      "hello",
      /^cannot add plugin notes\.txt: expected a \.ts or \.js/,
    ],
    [
      "no default export",
      "nodefault.ts",
      "export const x = 1;\n",
      `plugin nodefault.ts has no default export`,
    ],
    [
      "not an object",
      "fn.ts",
      "export default () => 1;\n",
      `plugin fn.ts: the default export must be a plain object`,
    ],
    ["no name", "noname.ts", plugin(`version: "1.0.0"`), `plugin noname.ts has no name`],
    ["no version", "nover.ts", plugin(`name: "nover"`), `plugin "nover" (nover.ts) has no version`],
    [
      "bad name",
      "badname.ts",
      plugin(`name: "Bad_Name", version: "1.0.0"`),
      /has an invalid name "Bad_Name"/,
    ],
    [
      "invalid version",
      "badver.ts",
      plugin(`name: "badver", version: "1.2"`),
      `plugin "badver" (badver.ts) has an invalid version "1.2" (SemVer expected)`,
    ],
    [
      "name clashing with a built-in",
      "chart.ts",
      good("chart"),
      `plugin name "chart" clashes with the built-in command "chart"`,
    ],
    [
      "command clashing with a built-in",
      "clash.ts",
      plugin(
        `name: "clash", version: "1.0.0", commands: [{ name: "registry", description: "d", run() {} }]`,
      ),
      `plugin "clash": command "registry" clashes with a built-in command`,
    ],
    [
      "command taken by another plugin",
      "thief.ts",
      plugin(
        `name: "thief", version: "1.0.0", commands: [{ name: "ok", description: "d", run() {} }]`,
      ),
      `plugin "thief": command "ok" is already added by plugin "ok"`,
    ],
    [
      "already installed",
      "ok.ts",
      undefined,
      `plugin "ok" is already installed; remove it first with "h3 plugin remove ok"`,
    ],
    [
      "offers nothing",
      "idle.ts",
      plugin(`name: "idle", version: "1.0.0"`),
      `plugin "idle" (idle.ts) offers no commands and no credentials`,
    ],
    [
      "a command without run",
      "norun.ts",
      plugin(`name: "norun", version: "1.0.0", commands: [{ name: "norun", description: "d" }]`),
      `plugin "norun" (norun.ts), command "norun": run must be a function`,
    ],
    [
      "a throwing module",
      "throws.ts",
      `throw new Error("exploded at import");\nexport default {};\n`,
      /^plugin throws\.ts failed to load: .*exploded at import/,
    ],
    [
      "a module that does not compile",
      "syntax.ts",
      "export default {{;\n",
      /^plugin syntax\.ts failed to load: /,
    ],
    [
      "a directory without a plugin",
      "emptydir/README.md",
      "nothing",
      `cannot add plugin emptydir: the directory has no plugin.ts or plugin.yaml`,
    ],
    [
      "plugin.yaml without a command",
      "nocmd/plugin.yaml",
      "name: nocmd\nversion: 1.0.0\n",
      `plugin "nocmd" (nocmd/plugin.yaml) has no command and no platformCommand`,
    ],
    [
      "plugin.yaml with a bad version",
      "yver/plugin.yaml",
      "name: yver\nversion: latest\ncommand: x\n",
      `plugin "yver" (yver/plugin.yaml) has an invalid version "latest" (SemVer expected)`,
    ],
    [
      "an npm package that is no plugin",
      "npm:yocto-queue@1.2.2",
      undefined,
      `plugin npm:yocto-queue@1.2.2: the default export must be a plain object`,
    ],
  ];
  for (const [what, source, content, message] of cases) {
    await t.step(what, async () => {
      if (content !== undefined) await write(box, source, content);
      const arg = source.includes("/") && !source.startsWith("npm:")
        ? source.slice(0, source.indexOf("/"))
        : source;
      const result = expectCode(await box.run(["plugin", "add", arg]), 1);
      // A module is named with its sha256 before its code runs; then the one error line.
      const stderr = result.stderr.replace(/^Checking plugin .* \(sha256 [0-9a-f]{64}\)\n/, "");
      const line = stderr.replace(/^Error: /, "").trimEnd();
      assert.equal(stderr.trimEnd().split("\n").length, 1, result.stderr);
      if (typeof message === "string") assert.equal(line, message);
      else assert.match(line, message);
      assert.deepEqual(await pluginsDirEntries(box), [".lock", "ok", "plugins.json"]);
      assert.equal(await Deno.readTextFile(`${box.helmHome}/plugins/plugins.json`), before);
    });
  }
});

Deno.test("a plugin that breaks after it was added breaks nothing else", async (t) => {
  await using box = await sandbox();
  await write(box, "fine.ts", good("fine"));
  await write(box, "fragile.ts", good("fragile"));
  expectCode(await box.run(["plugin", "add", "fine.ts"]), 0);
  expectCode(await box.run(["plugin", "add", "fragile.ts"]), 0);

  await t.step(
    "its module changed: it is not loaded, its command fails, the others run",
    async () => {
      await Deno.writeTextFile(
        `${box.helmHome}/plugins/fragile/fragile.ts`,
        `throw new Error("disk full");\n`,
      );
      const broken = expectCode(await box.run(["fragile"]), 1);
      assert.match(
        broken.stderr,
        /^Error: plugin "fragile" changed since it was added: .*fragile\.ts has sha256 [0-9a-f]{64}, not [0-9a-f]{64}; .*\n$/,
      );
      assert.equal(expectCode(await box.run(["fine", "x"]), 0).stdout, "fine ran x\n");
      expectCode(await box.run(["plugin", "list"]), 0);
    },
  );

  await t.step("its files are gone: same", async () => {
    await Deno.remove(`${box.helmHome}/plugins/fragile`, { recursive: true });
    const broken = expectCode(await box.run(["fragile"]), 1);
    assert.match(broken.stderr, /^Error: plugin "fragile" .* failed to load: Module not found/);
    assert.equal(expectCode(await box.run(["fine"]), 0).stdout, "fine ran \n");
    expectCode(await box.run(["plugin", "remove", "fragile"]), 0);
  });

  await t.step("a corrupt manifest: built-in commands still run, with a warning", async () => {
    await Deno.writeTextFile(`${box.helmHome}/plugins/plugins.json`, "{ not json");
    const env = expectCode(await box.run(["plugin", "remove", "fine"]), 1);
    assert.match(env.stderr, /plugins manifest .*plugins\.json is corrupt/);
    const help = expectCode(await box.run(["--help"]), 0);
    assert.match(help.stderr, /^Warning: plugins ignored: plugins manifest .* is corrupt/);
    assert.match(help.stdout, /plugin .*Add, list and remove plugins/);
  });
});
