import assert from "node:assert/strict";
import { tree } from "../../commands/tree.ts";
import { expectCode, h3Entry, sandbox } from "../helpers/cli.ts";

const bashCompletion = "/usr/share/bash-completion/bash_completion";

/** A cache index naming two refs, as `h3 chart save` leaves it. */
async function cacheWithRefs(helmHome: string, refs: string[]): Promise<void> {
  await Deno.mkdir(`${helmHome}/registry`, { recursive: true });
  const manifests = refs.map((ref) => ({
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    digest: `sha256:${"a".repeat(64)}`,
    size: 1,
    annotations: { "org.opencontainers.image.ref.name": ref },
  }));
  await Deno.writeTextFile(
    `${helmHome}/registry/index.json`,
    JSON.stringify({ schemaVersion: 2, manifests }),
  );
}

/** An `h3` on PATH that runs this checkout (or the bundle), as the scripts call it by name. */
async function h3OnPath(dir: string): Promise<string> {
  const bin = `${dir}/bin`;
  await Deno.mkdir(bin, { recursive: true });
  await Deno.writeTextFile(
    `${bin}/h3`,
    `#!/bin/sh\nexec "${Deno.execPath()}" run -A --quiet "${h3Entry()}" "$@"\n`,
    { mode: 0o755 },
  );
  return `${bin}:${Deno.env.get("PATH")}`;
}

/** Sources the bash script and presses TAB after `line`, as bash would; returns COMPREPLY. */
async function bashComplete(
  scriptFile: string,
  line: string,
  env: Record<string, string>,
  withBashCompletion: boolean,
): Promise<string[]> {
  const program = [
    withBashCompletion ? `source ${bashCompletion}` : "",
    `source ${scriptFile}`,
    // bash splits COMP_WORDS at COMP_WORDBREAKS (":" among them); the script must cope.
    `COMP_LINE=${JSON.stringify(line)}; COMP_POINT=\${#COMP_LINE}`,
    `COMP_WORDS=(); for w in $(printf '%s' "$COMP_LINE" | sed -e 's/:/ : /g'); do COMP_WORDS+=("$w"); done`,
    `[[ "$COMP_LINE" == *" " ]] && COMP_WORDS+=("")`,
    "COMP_CWORD=$((${#COMP_WORDS[@]} - 1))",
    `__h3_complete_refs h3 "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD-1]}" 2>/dev/null`,
    `printf '%s\\n' "\${COMPREPLY[@]}"`,
  ].join("\n");
  const out = await new Deno.Command("bash", { args: ["-c", program], env, stdout: "piped" })
    .output();
  assert.equal(out.code, 0);
  return new TextDecoder().decode(out.stdout).split("\n").filter((l) => l !== "");
}

const hasBashCompletion = await Deno.stat(bashCompletion).then(() => true, () => false);

Deno.test("the bash script passes bash -n and completes commands and cached REFs", async () => {
  await using box = await sandbox();
  await cacheWithRefs(box.helmHome, [
    "localhost:5000/myrepo/mychart:latest",
    "localhost:5000/stable/wordpress:5.1.2",
  ]);
  const script = expectCode(await box.run(["completion", "bash"]), 0).stdout;
  const file = `${box.dir}/h3.bash`;
  await Deno.writeTextFile(file, script);
  const syntax = await new Deno.Command("bash", { args: ["-n", file], stderr: "piped" }).output();
  assert.equal(syntax.code, 0, new TextDecoder().decode(syntax.stderr));

  const env = { ...box.env, PATH: await h3OnPath(box.dir) };
  for (const withPackage of hasBashCompletion ? [false, true] : [false]) {
    const complete = (line: string) => bashComplete(file, line, env, withPackage);
    assert.deepEqual(await complete("h3 chart pu"), ["push", "pull"]);
    assert.deepEqual((await complete("h3 ")).sort(), Object.keys(tree).sort());
    // bash already holds "localhost:" on the line; the reply is what follows the last ':'
    assert.deepEqual(await complete("h3 chart remove localhost:5000/s"), [
      "5000/stable/wordpress:5.1.2",
    ]);
    assert.deepEqual(await complete("h3 chart remove "), [
      "localhost:5000/myrepo/mychart:latest",
      "localhost:5000/stable/wordpress:5.1.2",
    ]);
    assert.deepEqual(await complete("h3 completion "), ["bash", "zsh", "fish", "powershell"]);
  }
});

Deno.test("completions come from the tree, the typed command's flags and the cache", async () => {
  await using box = await sandbox();
  await cacheWithRefs(box.helmHome, ["localhost:5000/myrepo/mychart:latest"]);
  const complete = async (...words: string[]) => {
    const { stdout } = expectCode(await box.run(["completion", "complete", "--", ...words]), 0);
    const lines = stdout.trimEnd().split("\n");
    return { values: lines.slice(0, -1).map((l) => l.split("\t")[0]), directive: lines.at(-1) };
  };
  assert.deepEqual((await complete("chart", "pu")).values, ["push", "pull"]);
  assert.deepEqual((await complete("env", "--")).values, [
    "--help",
    "--debug",
    "--output",
    "--registry",
  ]);
  assert.deepEqual((await complete("chart", "list", "-o", "")).values, []);
  assert.deepEqual((await complete("env", "--registry", "")).values, ["localhost:5000"]);
  const refs = await complete("chart", "remove", "localhost:5000/myrepo/mychart:latest", "");
  assert.deepEqual(refs.values, ["localhost:5000/myrepo/mychart:latest"]);
  assert.equal(refs.directive, ":4"); // no file names mixed in
  // a chart directory: the shell lists directories (directive 16)
  assert.deepEqual(await complete("chart", "save", ""), { values: [], directive: ":16" });
  assert.deepEqual((await complete("chart", "save", "mychart/", "")).values, [
    "localhost:5000/myrepo/mychart:latest",
  ]);
  assert.equal((await complete("chart", "export", "--destination", "")).directive, ":16");
});

Deno.test("zsh, fish and powershell scripts are the library's, asking h3 for completions", async () => {
  await using box = await sandbox();
  const zshInstalled = await new Deno.Command("zsh", { args: ["-c", "true"] }).output()
    .then((o) => o.success, () => false);
  for (const shell of ["zsh", "fish", "powershell"]) {
    const { stdout } = expectCode(await box.run(["completion", shell]), 0);
    assert.match(stdout, /h3 completion complete '?--/, shell);
    assert.match(stdout, new RegExp(`${shell} completion for h3`), shell);
    if (shell === "zsh") {
      assert.match(stdout, /compdef _h3 h3/);
      assert.ok(stdout.includes("comp=${comp//:/\\\\:}"), "REF colons escaped for _describe");
      if (zshInstalled) {
        const file = `${box.dir}/h3.zsh`;
        await Deno.writeTextFile(file, stdout);
        const check = await new Deno.Command("zsh", { args: ["-n", file] }).output();
        assert.equal(check.code, 0);
      }
    }
  }
});

Deno.test("an unknown or missing shell is a usage error", async () => {
  await using box = await sandbox();
  const unknown = expectCode(await box.run(["completion", "tcsh"]), 2);
  assert.equal(
    unknown.stderr,
    'Error: unsupported shell "tcsh": use bash, zsh, fish, powershell\n',
  );
  expectCode(await box.run(["completion"]), 2);
});
