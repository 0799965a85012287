/**
 * The library is ready to publish: every export of `mod.ts` documented (and every type it refers
 * to exported), and `deno publish --dry-run` passing (licence, no slow types). The examples of
 * docs/library.md run as written against a real registry and print what their comments say.
 */
import assert from "node:assert/strict";
import { minimalChart, writeTree } from "../helpers/charts.ts";
import { denoDir, sandbox } from "../helpers/cli.ts";
import { gnupg } from "../helpers/gnupg.ts";
import { startRegistry } from "../helpers/registry.ts";
import { ecKeyPair } from "../helpers/sigstore.ts";

const root = new URL("../../", import.meta.url).pathname;

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

/** The ```ts blocks of docs/library.md's "One client" section, in order. */
async function clientExamples(): Promise<string[]> {
  const page = await Deno.readTextFile(`${root}docs/library.md`);
  const section = page.slice(page.indexOf("## One client, every operation"));
  return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]);
}

Deno.test("docs/library.md: each client example runs and prints what its comments say", async () => {
  await using registry = await startRegistry();
  await using box = await sandbox();
  await writeTree(`${box.dir}/mychart`, minimalChart);
  await ecKeyPair(box.dir); // cosign.key, cosign.pub
  await gnupg(box.dir); // secring.gpg ("Test Signer"), pubring.gpg
  const examples = await clientExamples();
  assert.ok(examples.length >= 8, `${examples.length} examples`);
  for (const [n, example] of examples.entries()) {
    const code = example.replaceAll('"./mod.ts"', `"${root}mod.ts"`)
      .replaceAll("localhost:5000", registry.host);
    const expected = [...code.matchAll(/^\s*console\.log\(.*\);\s*\/\/ (.*)$/gm)]
      .map((match) => match[1]);
    await Deno.writeTextFile(`${box.dir}/example-${n}.ts`, code);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", "--config", `${root}deno.json`, `example-${n}.ts`],
      cwd: box.dir,
      env: { ...box.env, NO_COLOR: "1", DENO_DIR: denoDir },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decoder = new TextDecoder();
    assert.equal(out.code, 0, `example ${n + 1}:\n${example}\n${decoder.decode(out.stderr)}`);
    assert.deepEqual(decoder.decode(out.stdout).trimEnd().split("\n"), expected, example);
  }
});
