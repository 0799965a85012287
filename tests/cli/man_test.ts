/**
 * Man pages: `deno task man DIR` writes h3(1), a page per group and a page per command of the
 * tree, and each command's page lists exactly the options its `--help` lists, in that order.
 */
import assert from "node:assert/strict";
import { isGroup, type LazyEntry } from "../../commands/_entries.ts";
import { tree } from "../../commands/tree.ts";
import { denoDir, runH3 } from "../helpers/cli.ts";

const root = new URL("../../", import.meta.url).pathname;

const leaves: [string[], LazyEntry][] = Object.entries(tree).flatMap(([name, entry]) =>
  isGroup(entry)
    ? Object.entries(entry.commands).map(([sub, e]): [string[], LazyEntry] => [[name, sub], e])
    : [[[name], entry]]
);

/** roff text back to plain text: `\-` is `-`, `\e` a backslash, `\&` nothing. */
const plain = (text: string) =>
  text.replaceAll("\\-", "-").replaceAll("\\&", "").replaceAll("\\e", "\\");

/** The `.B` lines after `.TP` in section `title` of a man page. */
function manOptions(text: string, title: string): string[] {
  const body = text.split(`.SH ${title}\n`)[1]?.split("\n.SH ")[0] ?? "";
  return [...body.matchAll(/^\.TP\n\.B (.*)$/gm)].map((m) => plain(m[1]));
}

/** The flag column of the OPTIONS section of a `--help` text. */
function helpOptions(text: string): string[] {
  const body = text.split("OPTIONS:\n")[1]?.split("\n\n")[0] ?? "";
  return body.split("\n").map((line) => line.trim().split(/ {2,}/)[0]);
}

async function groffWarnings(file: string): Promise<string> {
  const out = await new Deno.Command("groff", {
    args: ["-man", "-Tutf8", "-ww", "-z", file],
    stdout: "null",
    stderr: "piped",
  }).output();
  return new TextDecoder().decode(out.stderr);
}

const groff = await new Deno.Command("groff", { args: ["--version"], stdout: "null" }).output()
  .then((o) => o.success, () => false);

Deno.test("deno task man: a page per command, with the options its --help shows", async () => {
  const dir = await Deno.makeTempDir({ prefix: "h3-man-" });
  try {
    const made = await new Deno.Command(Deno.execPath(), {
      args: ["task", "--quiet", "man", dir],
      cwd: root,
      env: { DENO_DIR: denoDir, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(made.success, new TextDecoder().decode(made.stderr));
    const groups = Object.keys(tree).filter((name) => isGroup(tree[name]));
    const expected = [
      "h3.1",
      ...groups.map((g) => `h3-${g}.1`),
      ...leaves.map(([path]) => `h3-${path.join("-")}.1`),
    ].sort();
    const files = (await Array.fromAsync(Deno.readDir(dir), (e) => e.name)).sort();
    assert.deepEqual(files, expected, "h3.1, the groups' pages and every command's page");

    const problems: string[] = [];
    for (let i = 0; i < leaves.length; i += 4) {
      await Promise.all(
        leaves.slice(i, i + 4).map(async ([path, entry]) => {
          const name = `h3-${path.join("-")}`;
          const text = await Deno.readTextFile(`${dir}/${name}.1`);
          const help = await runH3([...path, "--help"]);
          const shown = helpOptions(help.stdout);
          if (shown.length < 2) problems.push(`${name}: no options in --help`);
          const listed = manOptions(text, "OPTIONS");
          if (JSON.stringify(listed) !== JSON.stringify(shown)) {
            problems.push(
              `${name}: man ${JSON.stringify(listed)} != --help ${JSON.stringify(shown)}`,
            );
          }
          if (!plain(text).includes(`.SH NAME\n${name} - ${entry.description}\n`)) {
            problems.push(`${name}: NAME is not the tree's description`);
          }
          if (!plain(text).includes(`.SH SYNOPSIS\nh3 ${path.join(" ")}`)) {
            problems.push(`${name}: no SYNOPSIS`);
          }
        }),
      );
    }
    assert.deepEqual(problems, []);
    const top = await Deno.readTextFile(`${dir}/h3.1`);
    assert.deepEqual(
      manOptions(top, "COMMANDS"),
      Object.keys(tree).map((name) => `h3 ${name}`),
      "h3(1) lists the top-level commands",
    );
    if (groff) {
      for (const file of files) assert.equal(await groffWarnings(`${dir}/${file}`), "", file);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("roff escaping: hyphens, backslashes, a leading dot", async () => {
  const { roff } = await import("../../commands/_man.ts");
  assert.equal(roff("--key a\\b"), "\\-\\-key a\\eb");
  assert.equal(roff(".hidden"), "\\&.hidden");
  assert.equal(roff("'quoted"), "\\&'quoted");
});
