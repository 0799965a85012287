import assert from "node:assert/strict";
import { ProgressBars, renderBar } from "../../commands/ui/progress.ts";

Deno.test("a bar shows the label, how far it got and the total", () => {
  assert.equal(
    renderBar({ label: "8224586: content", total: 2048, done: 1024 }),
    "8224586: content [==============>               ] 1 KiB / 2 KiB",
  );
  assert.match(renderBar({ label: "x", total: 10, done: 10 }), /\[={30}\] 10 B \/ 10 B$/);
});

Deno.test("output printed around the bars erases them first and redraws them after", () => {
  let screen = "";
  const bars = new ProgressBars((t) => screen += t);
  bars.start("a", "aaaaaaa: content", 100);
  bars.around(() => screen += "line\n");
  assert.match(screen, /^line\naaaaaaa: content \[/);
  screen = "";
  bars.finish("a");
  bars.around(() => screen += "next\n");
  assert.equal(screen, "\x1b[1A\x1b[Jnext\n");
  bars.close();
});
