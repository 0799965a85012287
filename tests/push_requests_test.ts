/**
 * Requests per chart on push, counted in a real registry:2's access log: a new chart is six (the
 * content layer asked about, not the config; config and content each offered in one POST, which
 * registry:2 answers with an upload session, then PUT; the manifest PUT), was seven; an unchanged
 * chart pushed again is asked about, reported as already there, and nothing is written.
 * @module
 */
import assert from "node:assert/strict";
import { fixtureChart } from "./helpers/charts.ts";
import { expectCode, sandbox } from "./helpers/cli.ts";
import { requestsSince, startRegistry } from "./helpers/registry.ts";

Deno.test("push: a new chart costs 6 requests on registry:2, an unchanged one 3 and is already there", async () => {
  await using registry = await startRegistry({ accessLog: true });
  await using sb = await sandbox();
  const refs = [1, 2].map((n) => `${registry.host}/team/chart${n}:2.7.0`);
  for (const ref of refs) expectCode(await sb.run(["chart", "save", fixtureChart, ref]), 0);

  let from = registry.requests().length;
  expectCode(await sb.run(["chart", "push", refs[0]]), 0);
  const first = await requestsSince(registry, from);
  const kinds = (lines: string[]) => lines.map((line) => line.replace(/ \/v2\/\S+/, " …")).sort();
  // The first upload offers the config in the POST; registry:2 opens a session instead (202).
  assert.deepEqual(kinds(first), [
    "HEAD … 404", // the content layer: missing, so the config is not asked about
    "POST … 202",
    "POST … 202",
    "PUT … 201",
    "PUT … 201",
    "PUT … 201", // the manifest
  ], first.join("\n"));
  assert.ok(first.some((line) => /^POST \S+\?digest=sha256%3A/.test(line)), first.join("\n"));

  // Two charts in one run: the new one as above, the unchanged one asked about and left alone.
  from = registry.requests().length;
  const run = expectCode(await sb.run(["chart", "push", refs[1], refs[0]]), 0);
  assert.match(run.stdout, /already on remote, nothing pushed/);
  const both = await requestsSince(registry, from);
  const of = (repo: string) => both.filter((line) => line.includes(`/team/${repo}/`));
  assert.equal(of("chart2").length, 6, both.join("\n"));
  assert.equal(of("chart1").length, 3, both.join("\n"));

  // An unchanged chart: its blobs are asked about, the tag checked, nothing written.
  from = registry.requests().length;
  const again = expectCode(await sb.run(["chart", "push", refs[0]]), 0);
  assert.match(again.stdout, /already on remote, nothing pushed/);
  const repush = await requestsSince(registry, from);
  assert.deepEqual(kinds(repush), ["HEAD … 200", "HEAD … 200", "HEAD … 200"], repush.join("\n"));
});
