/**
 * Core's errors speak in data, the CLI in flags: an error naming an option carries which option and
 * which value; the library's message names the option as the library does (`version`), and the
 * CLI's line names its flag (`--version`), wherever the message was taken into another one.
 */
import assert from "node:assert/strict";
import { cliNaming, describeError } from "../../commands/_errors.ts";
import { versionRange } from "../../core/chart/versions.ts";
import {
  ChartError,
  errorMessage,
  H3Error,
  operation,
  option,
  phrase,
  SettingError,
} from "../../core/errors.ts";
import { parseReference } from "../../core/ref.ts";

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

Deno.test("a layout location without a ref is data in core; the CLI words it as before", async () => {
  const { pushToLayout } = await import("../../core/chart/layout_transfer.ts");
  const { LocationError } = await import("../../core/errors.ts");
  const { OciLayout } = await import("../../core/cache/layout.ts");
  const home = await Deno.makeTempDir();
  try {
    using cache = await OciLayout.open(`${home}/registry`);
    let caught: unknown;
    try {
      await pushToLayout(cache, "x", `oci:${home}/out`, undefined, "mychart.tgz");
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof LocationError);
    assert.deepEqual(
      [caught.location, caught.problem, caught.chart],
      [`oci:${home}/out`, "noReference", "mychart.tgz"],
    );
    assert.doesNotMatch(caught.message, /REF\)/);
    assert.equal(
      describeError(caught),
      `mychart.tgz has no tag: name the ref in the layout (oci:${home}/out:REF)`,
    );
    await assert.rejects(
      pushToLayout(cache, "x", "localhost:5000/a/b", "1.0.0", "mychart.tgz"),
      (e) => e instanceof LocationError && e.problem === "notLayout",
    );
    await Deno.stat(`${home}/out`).then(() => assert.fail("a layout was made"), () => {});
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("plugin errors carry the plugin and digests; the CLI adds its commands as the remedy", async () => {
  const { PluginChangedError, PluginError } = await import("../../core/errors.ts");
  const changed = new PluginChangedError({
    plugin: "greet",
    file: "/p/greet.ts",
    actual: "a".repeat(64),
    expected: "b".repeat(64),
  });
  assert.ok(changed instanceof PluginError);
  assert.equal(changed.plugin, "greet");
  assert.doesNotMatch(changed.message, /h3 |--/);
  assert.equal(
    describeError(changed),
    `plugin "greet" changed since it was added: /p/greet.ts has sha256 ${"a".repeat(64)}, not ` +
      `${"b".repeat(64)}; if the change is yours, add it again with "h3 plugin add --force SOURCE"`,
  );
  const installed = new PluginError(`plugin "ok" is already installed`, {
    remedy: { kind: "removePlugin", plugin: "ok" },
  });
  assert.equal(
    describeError(installed),
    `plugin "ok" is already installed; remove it first with "h3 plugin remove ok"`,
  );
});
