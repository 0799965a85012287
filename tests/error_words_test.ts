/**
 * Core's errors speak in data, the CLI in flags: an error naming an option carries which option and
 * which value; the library's message names the option as the library does (`version`), and the
 * CLI's line names its flag (`--version`), wherever the message was taken into another one.
 */
import assert from "node:assert/strict";
import { cliNaming, describeError } from "../commands/_errors.ts";
import { versionRange } from "../core/chart/versions.ts";
import {
  ChartError,
  errorMessage,
  H3Error,
  operation,
  option,
  phrase,
  SettingError,
} from "../core/errors.ts";
import { parseReference } from "../core/ref.ts";

Deno.test("a bad version is a SettingError naming the option and value, worded as --version by the CLI", () => {
  let caught: unknown;
  try {
    versionRange("one.two");
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof SettingError);
  assert.equal(caught.setting, "version");
  assert.equal(caught.value, "one.two");
  assert.match(caught.message, /^invalid version "one\.two": not a SemVer version or range/);
  assert.doesNotMatch(caught.message, /--/);
  assert.match(describeError(caught), /^invalid --version "one\.two": not a SemVer version/);
});

Deno.test("the CLI words the phrase after a ref was put in front of the message, and in a cause", () => {
  const error = new ChartError(
    phrase`out/mychart already exists (use ${option("force")} to replace it)`,
  );
  error.message = `localhost:5000/a/mychart: ${error.message}`;
  assert.equal(
    describeError(error),
    "localhost:5000/a/mychart: out/mychart already exists (use --force to replace it)",
  );
  const wrapped = new H3Error(`pulling: ${errorMessage(error)}`, { cause: error });
  assert.equal(
    describeError(wrapped),
    "pulling: localhost:5000/a/mychart: out/mychart already exists (use --force to replace it)",
  );
});

Deno.test("options become their flags and operations their commands", () => {
  assert.equal(cliNaming.option("caFile"), "--ca-file");
  assert.equal(cliNaming.option("allTags"), "--all-tags");
  assert.equal(cliNaming.option("maxSize"), "--max-chart-size");
  assert.equal(cliNaming.operation("updateDependencies"), '"h3 chart dependency update"');
  const text = phrase`run ${operation("updateDependencies")}, or save with ${
    option("dependencyUpdate")
  }`;
  assert.equal(text.text(), "run updateDependencies(), or save with dependencyUpdate");
  assert.equal(
    text.text(cliNaming),
    'run "h3 chart dependency update", or save with --dependency-update',
  );
  assert.deepEqual(text.options, ["dependencyUpdate"]);
});

Deno.test("a reference with http:// says to drop it, naming plain HTTP as the caller names it", () => {
  let caught: unknown;
  try {
    parseReference("http://localhost:5000/a/b");
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof H3Error);
  assert.match(caught.message, /; add plainHttp for a registry without TLS\)$/);
  assert.match(describeError(caught), /; add --plain-http for a registry without TLS\)$/);
});
