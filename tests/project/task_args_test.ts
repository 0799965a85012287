/** The task scripts' command lines: usage on --help, one line and exit 2 on a bad option. */
import assert from "node:assert/strict";

const root = new URL("../..", import.meta.url).pathname;

async function task(script: string, ...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${root}${script}`, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test("bundle, compile and bench print their usage on --help (exit code 0)", async () => {
  for (
    const [script, name] of [["scripts/bundle.ts", "bundle"], ["scripts/compile.ts", "compile"]]
  ) {
    const result = await task(script, "--help");
    assert.equal(result.code, 0);
    assert.match(result.stdout, new RegExp(`^usage: deno task ${name} \\[--plugin PATH\\]`));
    assert.equal(result.stderr, "");
  }
  const bench = await task("bench/main.ts", "-h");
  assert.equal(bench.code, 0);
  assert.match(bench.stdout, /^usage: deno task bench \[--rounds N\]/);
});

Deno.test("a task script's unknown option is one line and the usage, exit code 2", async () => {
  const result = await task("scripts/bundle.ts", "--outptu", "x");
  assert.equal(result.code, 2);
  assert.equal(result.stdout, "");
  assert.equal(
    result.stderr,
    "Unknown option '--outptu'\nusage: deno task bundle [--plugin PATH]... [--output FILE]\n",
  );
  const missing = await task("bench/main.ts", "--rounds");
  assert.equal(missing.code, 2);
  assert.match(
    missing.stderr,
    /^Option '--rounds <value>' argument missing\nusage: deno task bench/,
  );
});
