/** `h3 --version`: the version from deno.json and the commit h3 was built from. */
import assert from "node:assert/strict";
import { expectCode, sandbox } from "../helpers/cli.ts";
import { gitHead, version } from "../../core/version.ts";

const root = new URL("../../", import.meta.url).pathname;

async function git(...args: string[]): Promise<string> {
  const out = await new Deno.Command("git", { args, cwd: root, stdout: "piped" }).output();
  assert.ok(out.success, `git ${args.join(" ")} failed`);
  return new TextDecoder().decode(out.stdout).trim();
}

Deno.test("from source, --version names deno.json's version and the checkout's commit", async () => {
  await using box = await sandbox();
  const expected = `h3 ${version} (commit ${
    (await git("rev-parse", "HEAD")).slice(0, 12)
  }, source)\n`;
  assert.equal(version, JSON.parse(await Deno.readTextFile(`${root}deno.json`)).version);
  assert.equal(expectCode(await box.run(["--version"]), 0).stdout, expected);
  assert.equal(expectCode(await box.run(["-v"]), 0).stdout, expected);
});

Deno.test("the commit is read from HEAD through loose refs, packed refs, or detached", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const gitDir = new URL(`file://${dir}/`);
    const a = "a".repeat(40);
    const b = "b".repeat(40);
    assert.equal(await gitHead(gitDir), undefined);
    await Deno.writeTextFile(`${dir}/HEAD`, "ref: refs/heads/main\n");
    assert.equal(await gitHead(gitDir), undefined);
    await Deno.writeTextFile(`${dir}/packed-refs`, `# pack-refs\n${b} refs/heads/main\n`);
    assert.equal(await gitHead(gitDir), b);
    await Deno.mkdir(`${dir}/refs/heads`, { recursive: true });
    await Deno.writeTextFile(`${dir}/refs/heads/main`, `${a}\n`);
    assert.equal(await gitHead(gitDir), a);
    await Deno.writeTextFile(`${dir}/HEAD`, `${b}\n`);
    assert.equal(await gitHead(gitDir), b);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
