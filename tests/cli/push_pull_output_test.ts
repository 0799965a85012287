import assert from "node:assert/strict";
import { expectCode, sandbox } from "../helpers/cli.ts";
import { fixtureChart as fixture } from "../helpers/charts.ts";
import { startRegistry } from "../helpers/registry.ts";

Deno.test("push and pull report JSON for scripts, and --quiet prints nothing but errors", async () => {
  await using registry = await startRegistry();
  await using box = await sandbox();
  const ref = `${registry.host}/myrepo/mychart:1.0.0`;
  const missing = `${registry.host}/myrepo/missing:1.0.0`;
  expectCode(await box.run(["chart", "save", fixture, ref]), 0);

  const pushed = JSON.parse(
    expectCode(await box.run(["chart", "push", ref, "-o", "json"]), 0).stdout,
  );
  assert.equal(pushed.length, 1);
  assert.equal(pushed[0].ref, ref);
  assert.equal(pushed[0].status, "pushed");
  assert.equal(pushed[0].name, "mychart");
  assert.equal(pushed[0].version, "2.7.0");
  assert.equal(pushed[0].layers, 2);
  assert.match(pushed[0].digest, /^sha256:[a-f0-9]{64}$/);
  assert.match(pushed[0].content, /^sha256:[a-f0-9]{64}$/);

  expectCode(await box.run(["chart", "remove", ref]), 0);
  const quiet = expectCode(await box.run(["chart", "pull", ref, "--quiet"]), 0);
  assert.equal(quiet.stdout, "");
  assert.equal(quiet.stderr, "");

  const both = await box.run(["chart", "pull", ref, missing, "--output", "json"]);
  assert.equal(both.code, 3, both.stderr);
  const reports = JSON.parse(both.stdout);
  assert.deepEqual(reports.map((r: { ref: string }) => r.ref), [ref, missing]);
  assert.equal(reports[0].status, "up-to-date");
  assert.equal(reports[0].digest, pushed[0].digest);
  assert.equal(reports[1].status, "failed");
  assert.match(reports[1].error, /missing/);
  assert.match(both.stderr, /1 of 2 refs failed/);

  const quietFailure = await box.run(["chart", "pull", missing, "-q"]);
  assert.equal(quietFailure.code, 1);
  assert.equal(quietFailure.stdout, "");
  assert.match(quietFailure.stderr, /^Error: .*missing/);
});
