/**
 * What `h3 --version` and `--help` load from source: main.ts's static imports (what Deno reads and
 * runs before main does) are the version and the printer alone, and the command line it imports
 * for anything else (commands/_cli.ts) holds no npm package and none of the registry, chart,
 * signing or cache code. A script importing mod.ts loads the client's shell (each operation
 * imports its code when it runs), neither the cache's code nor an npm package. The bundle's start
 * path is checked in bundle_test.ts.
 */
import assert from "node:assert/strict";
import { sourceStartPath } from "../../bench/_start_path.ts";

const root = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

Deno.test("main.ts's static imports are what --version prints with, and no more", async () => {
  const path = await sourceStartPath(root, "main.ts");
  assert.deepEqual(path.modules, [
    "commands/ui/safe_text.ts",
    "core/version.ts",
    "deno.json",
    "main.ts",
  ]);
});

Deno.test("the command line's static imports are light: no npm package, no node: built-in", async () => {
  const path = await sourceStartPath(root, "commands/_cli.ts");
  assert.ok(path.modules.includes("commands/tree.ts"), path.modules.join(", "));
  assert.deepEqual(path.modules.filter((m) => m.startsWith("npm:")), []);
  assert.deepEqual(path.heavy, []);
  assert.deepEqual(path.builtins, []);
});

/**
 * What a library script must not load to print the version: the cache, registry, signing,
 * packaging, dependency and repository-import code, and npm packages (from source semver, ignore
 * and yaml are CommonJS and would bring Deno's Node layer).
 */
const libraryHeavy =
  /^npm:|core\/(transport|auth|cache)\/|core\/sign\/(?!policy\.ts)|core\/repo\/import\.ts|core\/chart\/(save|package|archive|extract|load|_walk|dependencies|transfer|versions|metadata|chart_yaml)\.ts|core\/(config|registry_hosts|copy)\.ts/;

Deno.test("mod.ts's static imports are light: the client's shell, no cache code, no node: built-in, no npm package", async () => {
  const path = await sourceStartPath(root, "mod.ts");
  assert.ok(path.modules.includes("core/client.ts"), path.modules.join(", "));
  assert.deepEqual(path.modules.filter((m) => libraryHeavy.test(m)), []);
  assert.deepEqual(path.modules.filter((m) => m.startsWith("npm:")), []);
  assert.deepEqual(path.builtins, []);
});

Deno.test("chart pull's static imports leave out the YAML parser, signing, archives and layouts", async () => {
  // A pull from a registry without --verify, config.yaml or oci: paths needs none of these: they
  // are imported where used (a trust policy, a config file, a layout location).
  const path = await sourceStartPath(root, "commands/chart_pull.ts");
  assert.ok(path.modules.includes("commands/_transfers.ts"), path.modules.join(", "));
  const unneeded =
    /^npm:\/?yaml|core\/sign\/(?!trust_options\.ts|policy\.ts)|core\/chart\/|core\/locations\.ts/;
  assert.deepEqual(path.modules.filter((m) => unneeded.test(m)), []);
});
