/**
 * TypeScript plugins adding commands: declared options parsed like a built-in's, positionals and
 * `--` passed through, h3's library and paths in the context, errors as one line.
 */
import assert from "node:assert/strict";
import { expectCode, sandbox } from "../helpers/cli.ts";

const tally = `
export default {
  name: "tally",
  version: "0.3.0",
  description: "Counts things",
  commands: [{
    name: "tally",
    description: "Count the arguments",
    options: [
      { name: "label", description: "what to call them", default: "args" },
      { name: "times", type: "number", short: "t" },
      { name: "loud", type: "boolean" },
      { name: "tag", multiple: true },
    ],
    run(ctx) {
      const line = ctx.options.label + ": " + ctx.args.length + " " + JSON.stringify(ctx.args);
      for (let i = 0; i < (ctx.options.times ?? 1); i++) {
        console.log(ctx.options.loud ? line.toUpperCase() : line);
      }
      if (ctx.options.tag) console.log("tags: " + ctx.options.tag.join(","));
      if (ctx.args[0] === "fail") throw new Error("cannot count " + ctx.args[1]);
    },
  }, {
    name: "cache-info",
    description: "Where the cache is and how many charts it holds",
    async run(ctx) {
      const cache = await ctx.h3.openCache();
      const charts = await ctx.h3.list();
      console.log(cache.dir === ctx.config.cacheDir, charts.length, ctx.config.pluginDir);
    },
  }],
};
`;

Deno.test("TypeScript plugin commands", async (t) => {
  await using box = await sandbox();
  await Deno.writeTextFile(`${box.dir}/tally.ts`, tally);
  expectCode(await box.run(["plugin", "add", "tally.ts"]), 0);

  await t.step("a plugin command runs with its positionals and parsed options", async () => {
    const result = expectCode(await box.run(["tally", "a", "b", "--times", "2", "--loud"]), 0);
    assert.equal(result.stdout, 'ARGS: 2 ["A","B"]\nARGS: 2 ["A","B"]\n');
    const more = expectCode(
      await box.run(["tally", "--label", "words", "-t", "1", "x", "--tag", "p", "--tag", "q"]),
      0,
    );
    assert.equal(more.stdout, 'words: 1 ["x"]\ntags: p,q\n');
  });

  await t.step("arguments after -- reach the plugin unparsed", async () => {
    const result = expectCode(await box.run(["tally", "one", "--", "--not-an-option", "-x"]), 0);
    assert.equal(result.stdout, 'args: 3 ["one","--not-an-option","-x"]\n');
  });

  await t.step("an unknown option is refused as for a built-in command", async () => {
    const result = expectCode(await box.run(["tally", "--bogus"]), 2);
    assert.match(result.stderr, /^Error: .*--bogus/);
    assert.equal(result.stderr.trim().split("\n").length, 1);
  });

  await t.step("a throwing plugin command ends with one Error line and exit code 1", async () => {
    const result = expectCode(await box.run(["tally", "fail", "sheep"]), 1);
    assert.equal(result.stderr, "Error: cannot count sheep\n");
  });

  await t.step("a plugin command uses h3's library and paths from its context", async () => {
    const result = expectCode(await box.run(["cache-info"]), 0);
    assert.equal(result.stdout, `true 0 ${box.helmHome}/plugins/tally\n`);
  });

  await t.step("h3 --help lists plugin commands with their descriptions", async () => {
    const help = expectCode(await box.run(["--help"]), 0).stdout;
    assert.match(help, /tally .*Count the arguments/);
    assert.match(help, /cache-info .*Where the cache is/);
    const own = expectCode(await box.run(["tally", "--help"]), 0).stdout;
    assert.match(own, /--label/);
    assert.match(own, /what to call them/);
  });
});
