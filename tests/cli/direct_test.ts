/**
 * Commands run without gunshi when their words are that simple (commands/_direct.ts): for every
 * built-in command, plain words from none to three, with and without each of its own string and
 * boolean options in each simple form, before, among and after them, what the direct start
 * resolves is exactly what gunshi's own resolver gives for the same definition and argv; and the
 * argv it must leave to gunshi (other options or forms, `--`, an option twice, a value that starts
 * with "-", a word too many or too few) it leaves; and what a bundle's start file answers alone
 * (`answersAlone`): help pages, usage errors and its own commands' direct starts.
 */
import assert from "node:assert/strict";
import { parseArgs, resolveArgs } from "gunshi";
import { type DirectArg, directValues } from "../../commands/_direct.ts";
import { isGroup, type LazyEntry } from "../../commands/_entries.ts";
import { tree } from "../../commands/tree.ts";
import { answersAlone } from "../../commands/_cli.ts";

/** Every built-in command with its words (`["chart", "list"]`). */
function commands(): [string[], LazyEntry][] {
  return Object.entries(tree).flatMap(([name, entry]) =>
    isGroup(entry)
      ? Object.entries(entry.commands).map(([sub, e]) => [[name, sub], e] as [string[], LazyEntry])
      : [[[name], entry] as [string[], LazyEntry]]
  );
}

async function argsOf(entry: LazyEntry): Promise<Record<string, DirectArg>> {
  return ((await entry.load()).default as { args?: Record<string, DirectArg> }).args ?? {};
}

/** What gunshi resolves for `path` + `words`, as its `cli` calls its resolver. */
function gunshiValues(args: Record<string, DirectArg>, path: string[], words: string[]) {
  // deno-lint-ignore no-explicit-any
  return resolveArgs(args as any, parseArgs([...path, ...words]), {
    shortGrouping: true,
    skipPositional: path.length - 1,
  });
}

/** `words` with `option` put at each place: before, among and after them. */
function placed(words: string[], option: string[]): string[][] {
  return Array.from({ length: words.length + 1 }, (_, i) => [
    ...words.slice(0, i),
    ...option,
    ...words.slice(i),
  ]);
}

/** The simple forms of each of `args`' string and boolean options. */
function optionForms(args: Record<string, DirectArg>): string[][] {
  return Object.entries(args).flatMap(([name, arg]) => {
    if (arg.type === "string") {
      const forms = [[`--${name}`, "v"], [`--${name}=v=w`]];
      return arg.short ? [...forms, [`-${arg.short}`, "v"]] : forms;
    }
    if (arg.type === "boolean") {
      return arg.short ? [[`--${name}`], [`-${arg.short}`]] : [[`--${name}`]];
    }
    return [];
  });
}

Deno.test("a direct start resolves words and simple options as gunshi does, for every built-in command", async () => {
  const wordLists = [[], ["a"], ["a", "b"], ["a", "b", "c"]];
  let direct = 0;
  let withOptions = 0;
  for (const [path, entry] of commands()) {
    const args = await argsOf(entry);
    const forms = optionForms(args);
    const argvs = wordLists.flatMap((words) => [
      words,
      ...forms.flatMap((form) => placed(words, form)),
      ...forms.slice(1).flatMap((form, i) => placed([...words, ...forms[i]], form)),
    ]);
    for (const words of argvs) {
      const resolved = directValues(args, words);
      if (!resolved) continue;
      direct++;
      if (words.some((w) => w.startsWith("-"))) withOptions++;
      const gunshi = gunshiValues(args, path, words);
      const label = [...path, ...words].join(" ");
      assert.equal(gunshi.error, undefined, label);
      assert.deepEqual(resolved.values, { ...gunshi.values }, label);
      assert.deepEqual(resolved.explicit, { ...gunshi.explicit }, label);
      assert.deepEqual(resolved.plain, gunshi.positionals.slice(path.length), label);
    }
  }
  assert.ok(direct >= 10, `${direct} direct starts`);
  assert.ok(withOptions >= 100, `${withOptions} direct starts with options`);
});

Deno.test("the simple commands start directly; options, -- and wrong word counts go to gunshi", async () => {
  const find = (words: string[]) =>
    commands().find(([path]) => path.join(" ") === words.join(" "))![1];
  const list = await argsOf(find(["chart", "list"]));
  assert.deepEqual(directValues(list, [])?.values, { output: "table" });
  assert.equal(directValues(list, ["extra"]), undefined);
  assert.deepEqual(directValues(list, ["--output", "json"])?.values, { output: "json" });
  for (
    const gunshiOnly of [
      ["-o=json"], // gunshi reads "=json"
      ["-ojson"],
      ["--output"], // no value
      ["--output="],
      ["--output", "-x"], // a value that starts with "-"
      ["--output", "json", "-o", "text"], // twice: the last wins in gunshi
      ["--nope"],
      ["-z"],
      ["-"],
    ]
  ) {
    assert.equal(directValues(list, gunshiOnly), undefined, gunshiOnly.join(" "));
  }
  const remove = await argsOf(find(["chart", "remove"]));
  assert.deepEqual(directValues(remove, ["a", "b"])?.values.refs, ["a", "b"]);
  assert.equal(directValues(remove, ["--", "a"]), undefined);
  assert.equal(directValues(remove, ["a", "--quiet=true"]), undefined);
  assert.equal(directValues(remove, ["a", "-qo", "json"]), undefined);
  const exported = await argsOf(find(["chart", "export"]));
  assert.deepEqual(directValues(exported, ["REF", "--destination", "out", "--force"])?.values, {
    ...gunshiValues(exported, ["chart", "export"], ["REF", "--destination", "out", "--force"])
      .values,
  });
  assert.deepEqual(directValues(await argsOf(find(["env"])), [])?.values, {
    ...gunshiValues(await argsOf(find(["env"])), ["env"], []).values,
  });
});

Deno.test("a start file answers help, usage errors and its own simple commands alone", async () => {
  const home = await Deno.makeTempDir();
  const saved = Deno.env.get("HELM_HOME");
  Deno.env.set("HELM_HOME", home);
  try {
    const own = [["chart", "list"], ["plugin", "list"]];
    const alone = async (...args: string[]) => await answersAlone(args, own);
    const answered = [
      [],
      ["--help"],
      ["chart"],
      ["chart", "--help"],
      ["chart", "list"],
      ["plugin", "list"],
      ["chart", "list", "-o", "json"],
      ["chart", "lst"], // a usage error
      ["nope"],
    ];
    for (const args of answered) assert.equal(await alone(...args), true, args.join(" "));
    const handedOver = [
      ["env"],
      ["chart", "list", "-o", "json", "-o", "table"],
      ["chart", "list", "--help"],
      ["chart", "list", "x"], // a word too many: gunshi reports it
      ["chart", "remove", "x"],
      ["plugin", "add", "x"],
    ];
    for (const args of handedOver) assert.equal(await alone(...args), false, args.join(" "));
  } finally {
    if (saved === undefined) Deno.env.delete("HELM_HOME");
    else Deno.env.set("HELM_HOME", saved);
    await Deno.remove(home, { recursive: true });
  }
});
