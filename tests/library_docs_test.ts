/**
 * The library is ready to publish: every export of `mod.ts` documented (and every type it refers
 * to exported), and `deno publish --dry-run` passing (licence, no slow types).
 */
import assert from "node:assert/strict";

const root = new URL("../", import.meta.url).pathname;

async function deno(args: string[]): Promise<{ code: number; output: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: root,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, output: decoder.decode(out.stdout) + decoder.decode(out.stderr) };
}

Deno.test("deno doc --lint mod.ts finds nothing to fix", async () => {
  const { code, output } = await deno(["doc", "--lint", "mod.ts"]);
  assert.equal(code, 0, output);
});

Deno.test("deno publish --dry-run passes", async () => {
  const { code, output } = await deno(["publish", "--dry-run", "--allow-dirty"]);
  assert.equal(code, 0, output);
  assert.match(output, /Dry run complete/);
});
