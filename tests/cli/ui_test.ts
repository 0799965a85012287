import assert from "node:assert/strict";
import { humanSize } from "../../core/size.ts";
import { humanAge } from "../../commands/ui/age.ts";
import { renderTable } from "../../commands/ui/table.ts";
import { suggest } from "../../core/suggest.ts";

Deno.test("sizes are binary units as the seed prints them", () => {
  assert.equal(humanSize(0), "0 B");
  assert.equal(humanSize(454), "454 B");
  assert.equal(humanSize(4403), "4.3 KiB");
  assert.equal(humanSize(28_774), "28.1 KiB");
  assert.equal(humanSize(1_258_291), "1.2 MiB");
});

Deno.test("ages read like Docker's", () => {
  const now = new Date("2026-01-01T12:00:00Z");
  const ago = (s: number) => humanAge(new Date(now.getTime() - s * 1000), now);
  assert.equal(ago(0), "Less than a second");
  assert.equal(ago(27), "27 seconds");
  assert.equal(ago(90), "About a minute");
  assert.equal(ago(600), "10 minutes");
  assert.equal(ago(3600), "About an hour");
  assert.equal(ago(2 * 3600), "2 hours");
  assert.equal(ago(3 * 86400), "3 days");
});

Deno.test("tables align columns on tab stops like the seed's list", () => {
  const out = renderTable([
    ["REF", "NAME", "VERSION"],
    ["localhost:5000/stable/acs-engine-autoscaler:latest", "acs-engine-autoscaler", "2.2.2"],
  ]).split("\n");
  assert.equal(out[0], "REF" + " ".repeat(53) + "NAME" + " ".repeat(20) + "VERSION");
  assert.equal(out[1].lastIndexOf("acs-engine-autoscaler"), 56);
  assert.equal(out[1].indexOf("2.2.2"), 80);
});

Deno.test("suggestions catch typos and prefixes, not strangers", () => {
  assert.equal(suggest("chrt", ["chart", "registry"]), "chart");
  assert.equal(suggest("pu", ["push", "pull", "save"]), "push");
  assert.equal(suggest("xyz", ["chart", "registry"]), undefined);
});
