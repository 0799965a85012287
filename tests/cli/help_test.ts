import assert from "node:assert/strict";
import { isGroup, type LazyEntry } from "../../commands/_entries.ts";
import { tree } from "../../commands/tree.ts";
import { runH3 } from "../helpers/cli.ts";

interface ArgDef {
  type: string;
  default?: unknown;
}

const leaves: [string, LazyEntry][] = Object.entries(tree).flatMap(([name, entry]) =>
  isGroup(entry)
    ? Object.entries(entry.commands).map(([sub, e]): [string, LazyEntry] => [`${name} ${sub}`, e])
    : [[name, entry]]
);

/** What is wrong with one command's help, as `--help` and `h3 help ...` print it. */
async function helpProblems(path: string, entry: LazyEntry): Promise<string[]> {
  const words = path.split(" ");
  const [help, helpCommand] = await Promise.all([
    runH3([...words, "--help"]),
    runH3(["help", ...words]),
  ]);
  if (help.code !== 0) return [`h3 ${path} --help: exit ${help.code}: ${help.stderr.trim()}`];
  const problems: string[] = [];
  const text = help.stdout;
  if (text.split("\n")[0] !== entry.description) {
    problems.push(`first line is not the tree's description "${entry.description}"`);
  }
  if (!text.includes(`USAGE:\n  h3 ${path}`)) problems.push("no USAGE line");
  const examples = text.split("EXAMPLES:\n")[1] ?? "";
  if (!new RegExp(`^\\s*\\$ h3 ${path}\\b`, "m").test(examples)) {
    problems.push(`no example ("$ h3 ${path} ...") under EXAMPLES:`);
  }
  const { args = {} } = (await entry.load()).default as { args?: Record<string, ArgDef> };
  for (const [name, def] of Object.entries(args)) {
    const kebab = name.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());
    const shown = def.type === "positional" ? `  ${name.toUpperCase()}` : `--${kebab}`;
    if (!text.includes(shown)) problems.push(`argument ${name} not shown`);
    const hasDefault = def.default !== undefined && def.default !== false;
    if (hasDefault && !text.includes(`(default: ${JSON.stringify(def.default)})`)) {
      problems.push(`default of --${name} not shown`);
    }
  }
  if (helpCommand.code !== 0 || helpCommand.stdout !== text) {
    problems.push(`"h3 help ${path}" differs from --help`);
  }
  return problems.map((p) => `h3 ${path}: ${p}`);
}

Deno.test("every command's --help has its summary, usage, arguments, defaults and an example", async () => {
  const problems: string[] = [];
  for (let i = 0; i < leaves.length; i += 4) {
    const batch = leaves.slice(i, i + 4).map(([path, entry]) => helpProblems(path, entry));
    for (const found of await Promise.all(batch)) problems.push(...found);
  }
  assert.deepEqual(problems, []);
});

/** Whether a help text has a `  NAME ...  DESCRIPTION` line. */
function listed(text: string, name: string, description: string): boolean {
  return text.split("\n").some((line) =>
    line.startsWith(`  ${name} `) && line.trimEnd().endsWith(description)
  );
}

Deno.test("h3 --help lists every command group; a group's help lists its commands", async () => {
  const top = await runH3(["--help"]);
  assert.equal(top.code, 0);
  for (const [name, entry] of Object.entries(tree)) {
    assert.ok(listed(top.stdout, name, entry.description), `h3 --help lacks ${name}`);
    if (!isGroup(entry)) continue;
    const group = await runH3([name]);
    assert.equal(group.code, 0, group.stderr);
    assert.equal(group.stdout.split("\n")[0], entry.description);
    for (const [sub, e] of Object.entries(entry.commands)) {
      assert.ok(listed(group.stdout, sub, e.description), `h3 ${name} lacks ${sub}`);
    }
  }
});
