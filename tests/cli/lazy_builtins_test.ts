/**
 * The bundle's post-pass that keeps Node built-ins off the start path: what it rewrites runs, and
 * what it cannot make lazy fails the build by name.
 */
import assert from "node:assert/strict";
import { lazyBuiltins } from "../../scripts/_lazy_builtins.ts";
import { tempDir } from "../helpers/charts.ts";

const bundlerRequire =
  'import { createRequire as __deno_internal_createRequire } from "node:module";\n' +
  "var __require = __deno_internal_createRequire(import.meta.url);";

/** Runs `code` as a module and returns what it prints. */
async function run(code: string): Promise<string> {
  await using tmp = await tempDir();
  await Deno.writeTextFile(`${tmp.dir}/m.js`, code);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-config", `${tmp.dir}/m.js`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout);
}

Deno.test("the bundler's require and default imports of built-ins load on first use", async () => {
  const code = lazyBuiltins([
    bundlerRequire,
    'import check from "node:assert";',
    'console.log(typeof __require("node:buffer").Buffer.from);',
    'try { check(false, "refused"); } catch (e) { console.log(e.message); }',
    "console.log(typeof check.strictEqual);",
  ].join("\n"));
  assert.doesNotMatch(code, /^import\b/m);
  assert.equal(await run(code), "function\nrefused\nfunction\n");
});

Deno.test("code without built-ins is left as it was", () => {
  const code = 'const x = await import("node:crypto");\nconsole.log(x);\n';
  assert.equal(lazyBuiltins(code), code);
});

Deno.test("a named import of a built-in fails the build, naming it", () => {
  assert.throws(
    () => lazyBuiltins('import { Agent } from "node:https";\nnew Agent();\n'),
    /static node: imports would load at every start: import \{ Agent \} from "node:https";/,
  );
});

Deno.test("minified chunks get the same rewrite", async () => {
  const code = lazyBuiltins([
    'var g=1;import{createRequire as __deno_internal_createRequire} from "node:module";' +
    "var m=__deno_internal_createRequire(import.meta.url);",
    'import O from"node:assert";import*as P from"node:path";import{createRequire as q}from"node:module";',
    'console.log(typeof m("node:buffer").Buffer.from,P.basename("/a/b"),typeof q(import.meta.url));',
    'try{O(false,"refused")}catch(e){console.log(e.message)}',
  ].join(""));
  assert.doesNotMatch(code, /\bimport\s*[\w{*]/);
  assert.equal(await run(code), "function b function\nrefused\n");
});
