import assert from "node:assert/strict";
import { sourceStartPath } from "../../bench/_start_path.ts";
import { expectCode, runH3, sandbox } from "../helpers/cli.ts";

Deno.test("h3 alone and h3 chart show help and exit 0", async () => {
  const [bare, help, chart] = await Promise.all([
    runH3([]),
    runH3(["--help"]),
    runH3(["chart"]),
  ]);
  expectCode(bare, 0);
  assert.equal(bare.stdout, help.stdout);
  assert.match(bare.stdout, /^ {2}chart\b/m);
  expectCode(chart, 0);
  assert.match(chart.stdout, /^Save, push, pull and manage Helm charts/);
  assert.match(chart.stdout, /^ {2}save\b/m);
});

Deno.test("an unknown command is one line with a suggestion, and exit 2", async () => {
  const [top, sub, far] = await Promise.all([
    runH3(["chrt"]),
    runH3(["chart", "pusj", "localhost:5000/a:1"]),
    runH3(["xyzzy"]),
  ]);
  expectCode(top, 2);
  assert.equal(top.stderr, 'Error: unknown command "chrt" for "h3"; did you mean "chart"?\n');
  assert.equal(top.stdout, "");
  expectCode(sub, 2);
  assert.equal(sub.stderr, 'Error: unknown command "pusj" for "h3 chart"; did you mean "push"?\n');
  expectCode(far, 2);
  assert.equal(
    far.stderr,
    'Error: unknown command "xyzzy" for "h3"; run "h3 --help" for the list\n',
  );
});

Deno.test("a command word that every object inherits (constructor, toString) is an unknown command", async () => {
  const runs = await Promise.all([
    runH3(["constructor"]),
    runH3(["chart", "toString", "localhost:5000/a:1"]),
    runH3(["hasOwnProperty", "--help"]),
  ]);
  const parents = ["h3", "h3 chart", "h3"];
  const words = ["constructor", "toString", "hasOwnProperty"];
  runs.forEach((run, i) => {
    expectCode(run, 2);
    assert.equal(
      run.stderr,
      `Error: unknown command "${words[i]}" for "${parents[i]}"; run "${
        parents[i]
      } --help" for the list\n`,
    );
  });
});

Deno.test("an unknown flag is a usage error with a suggestion", async () => {
  const result = expectCode(await runH3(["env", "--outptu", "json"]), 2);
  assert.equal(result.stderr, 'Error: unknown option: --outptu; did you mean "--output"?\n');
  assert.equal(result.stdout, "");
});

Deno.test("a failing command prints a stack trace only with --debug (or H3_DEBUG=1)", async () => {
  await using box = await sandbox();
  await Deno.mkdir(box.helmHome, { recursive: true });
  await Deno.writeTextFile(`${box.helmHome}/config.yaml`, "concurrency: lots\n");
  const message = `Error: invalid config ${box.helmHome}/config.yaml: ` +
    `"concurrency" must be a whole number from 1 to 256`;
  const plain = expectCode(await box.run(["env"]), 1);
  assert.equal(plain.stderr, `${message}\n`);
  for (const debug of [await box.run(["--debug", "env"]), await box.run(["env", "--debug"])]) {
    expectCode(debug, 1);
    const [first, ...stack] = debug.stderr.trimEnd().split("\n");
    assert.equal(first, message);
    assert.match(stack.join("\n"), /^\s+at /m);
  }
  const byEnv = expectCode(await box.run(["env"], { env: { H3_DEBUG: "1" } }), 1);
  assert.match(byEnv.stderr, /^\s+at /m);
});

Deno.test("words after -- are left alone: --debug there is an argument, not h3's flag", async () => {
  await using box = await sandbox();
  const result = expectCode(await box.run(["completion", "complete", "--", "env", "--debug"]), 0);
  assert.equal(result.stdout, "--debug\tPrint a stack trace when a command fails\n:4\n");
});

Deno.test("start-up loads no command code: gunshi, completion, env and config are imported on use", async () => {
  const root = new URL("../..", import.meta.url).pathname;
  // main.ts for --version, and the command line it imports for everything else
  const loaded = [
    ...(await sourceStartPath(root, "main.ts")).modules,
    ...(await sourceStartPath(root, "commands/_cli.ts")).modules,
  ].join("\n");
  for (
    const lazy of [
      "npm:gunshi",
      "@bomb.sh/tab",
      "npm:yaml",
      "commands/completion.ts",
      "commands/env.ts",
    ]
  ) {
    assert.ok(!loaded.includes(lazy), `${lazy} is on the start path:\n${loaded}`);
  }
  assert.ok(loaded.includes("commands/tree.ts"), loaded); // the walk did follow imports
});
