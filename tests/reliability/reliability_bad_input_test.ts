import assert from "node:assert/strict";
import { writeTree } from "../helpers/charts.ts";
import { expectCode, sandbox } from "../helpers/cli.ts";
import { auditCache, treeDigests, writeChart } from "../helpers/reliability.ts";

const header = "apiVersion: v2\nname: bad\n";

/** Chart directories that break a rule, by name, each with the error its save must give. */
const charts: [string, Record<string, string | Uint8Array>, RegExp][] = [
  ["empty", { "Chart.yaml": "" }, /^Error: empty\/Chart\.yaml: /],
  ["list", { "Chart.yaml": "- a\n- b\n" }, /^Error: list\/Chart\.yaml: .*mapping/],
  ["scalar", { "Chart.yaml": "just words\n" }, /^Error: scalar\/Chart\.yaml: .*mapping/],
  [
    "tabs",
    { "Chart.yaml": "name: a\n\tversion: 1.0.0\n" },
    /^Error: tabs\/Chart\.yaml:2: malformed YAML/,
  ],
  ["noversion", { "Chart.yaml": header }, /^Error: noversion\/Chart\.yaml: version is required/],
  [
    "badname",
    { "Chart.yaml": "apiVersion: v2\nname: ../../etc\nversion: 1.0.0\n" },
    /^Error: badname\/Chart\.yaml: name "\.\.\/\.\.\/etc" is invalid/,
  ],
  ["badtype", { "Chart.yaml": `${header}version: 1.0.0\ntype: plugin\n` }, /type "plugin"/],
  [
    "deps",
    { "Chart.yaml": `${header}version: 1.0.0\ndependencies: everything\n` },
    /^Error: deps\/Chart\.yaml: dependencies /,
  ],
  [
    "depnull",
    { "Chart.yaml": `${header}version: 1.0.0\ndependencies:\n  - \n` },
    /^Error: depnull\/Chart\.yaml: dependencies\[0\] must not be empty/,
  ],
  [
    "fourpart",
    { "Chart.yaml": `${header}version: 1.0.0.0\n` },
    /^Error: fourpart\/Chart\.yaml: version "1\.0\.0\.0" is not SemVer/,
  ],
  [
    "aliases",
    {
      "Chart.yaml": `${header}version: 1.0.0\nx: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n` +
        `y: &b [${Array(10).fill("*a").join(", ")}]\nz: [${Array(20).fill("*b").join(", ")}]\n`,
    },
    /more than 100 YAML aliases/,
  ],
  [
    "notutf8",
    { "Chart.yaml": new Uint8Array([0x6e, 0x61, 0x6d, 0x65, 0x3a, 0x20, 0xff, 0xfe, 0x0a]) },
    /^Error: notutf8\/Chart\.yaml: /,
  ],
  [
    "chartdir",
    { "Chart.yaml/x": "" },
    /^Error: chartdir: no Chart\.yaml \(not a chart directory\)$/,
  ],
];

Deno.test("malformed charts and refs: one line, a non-zero exit, and the cache untouched", async (t) => {
  await using box = await sandbox();
  const good = await writeChart(box.dir, "good");
  const ref = "localhost:5000/keep/good:1.0.0";
  expectCode(await box.run(["chart", "save", good, ref]), 0);
  expectCode(await box.run(["chart", "export", ref, "--destination", "before"]), 0);
  for (const [name, files] of charts) await writeTree(`${box.dir}/${name}`, files);
  // Special files inside a chart: a FIFO (reading it would block), a link loop, a broken link.
  await writeChart(box.dir, "fifo");
  const mkfifo = await new Deno.Command("mkfifo", { args: [`${box.dir}/fifo/templates/pipe`] })
    .output();
  assert.ok(mkfifo.success);
  await writeChart(box.dir, "loop");
  await Deno.symlink("..", `${box.dir}/loop/templates/loop`);
  await writeChart(box.dir, "broken");
  await Deno.symlink("/nonexistent/file", `${box.dir}/broken/values.yaml.link`);

  const cases: [string[], RegExp][] = [
    ...charts.map(([name, , message]): [string[], RegExp] => [
      ["chart", "save", name, "localhost:5000/x/bad:1"],
      message,
    ]),
    [["chart", "save", "fifo", "localhost:5000/x/bad:1"], /templates\/pipe: not a regular file/],
    [["chart", "save", "loop", "localhost:5000/x/bad:1"], /templates\/loop: symbolic link loop/],
    [
      ["chart", "save", "broken", "localhost:5000/x/bad:1"],
      /values\.yaml\.link: broken symbolic link/,
    ],
    [["chart", "save", "good", ""], /^Error: invalid reference "": empty$/],
    [["chart", "save", "good", "localhost:5000/x/bad:"], /^Error: invalid reference .*tag/],
    [["chart", "save", "good", `localhost:5000/x/bad:${"t".repeat(129)}`], /invalid tag/],
    [["chart", "save", "good", "local host:5000/x/bad"], /contains white space/],
    [["chart", "save", "good", "localhost:5000/x/../bad"], /^Error: invalid reference /],
    [["chart", "save", "good", "oci://"], /^Error: invalid reference "oci:\/\/": empty$/],
    [["chart", "export", "localhost:5000/keep/good@sha256:abc"], /malformed digest/],
    [["chart", "export", "localhost:5000/keep/good:2.0.0"], /not found in the cache$/],
    [["chart", "push", "localhost:5000/keep/nothere:1.0.0"], /not found in the cache$/],
    [["chart", "pull", "http://localhost:5000/keep/good"], /^Error: invalid reference /],
    [["chart", "remove", "localhost:5000/keep/other:1.0.0"], /not found in the cache$/],
    [["chart", "remove"], /^Error: missing REF: give at least one chart reference$/],
    [["chart", "push"], /^Error: missing REF/],
    [["chart", "verify", "Keep/Good"], /^Error: invalid reference /],
  ];
  const cache = `${box.helmHome}/registry`;
  const before = await treeDigests(cache);
  for (const [args, message] of cases) {
    await t.step(args.join(" ") || "(none)", async () => {
      const result = await box.run(args);
      assert.notEqual(result.code, 0, result.stdout);
      // Like docker push, push names the repository before it finds the chart missing.
      assert.equal(result.stdout.replace(/^The push refers to repository \[.*\]\n/, ""), "");
      const lines = result.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0], message);
      assert.deepEqual(await treeDigests(cache), before, "the cache is untouched");
    });
  }
  assert.deepEqual((await auditCache(cache)).problems, []);
  expectCode(await box.run(["chart", "export", ref, "--destination", "after"]), 0);
  assert.deepEqual(await treeDigests(`${box.dir}/after`), await treeDigests(`${box.dir}/before`));
  assert.deepEqual(await treeDigests(`${box.dir}/after/good`), await treeDigests(good));
});
