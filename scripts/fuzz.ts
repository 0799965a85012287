/**
 * `deno task fuzz [SECONDS]`: the property-based checks of every parser that reads outside input
 * (tests/helpers/properties.ts), each run for its share of SECONDS (default 300), printing per
 * parser the inputs tried and the failures found, with the smallest failing input. Exits 1 when a
 * property failed.
 * @module
 */
import fc from "fast-check";
import { properties } from "../tests/helpers/properties.ts";

const total = Number(Deno.args[0] ?? 300);
if (!Number.isFinite(total) || total <= 0) {
  console.error("usage: deno task fuzz [SECONDS]");
  Deno.exit(2);
}
const share = (total * 1000) / properties.length;
const seed = Date.now() | 0;
console.log(`fuzz: ${properties.length} parsers, ${Math.round(share / 1000)}s each, seed ${seed}`);
let tried = 0;
let failed = 0;
for (const { name, property } of properties) {
  const started = performance.now();
  const details = await fc.check(property, {
    numRuns: Number.MAX_SAFE_INTEGER,
    interruptAfterTimeLimit: share,
    markInterruptAsFailure: false,
    seed,
  });
  const runs = details.numRuns;
  tried += runs;
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  if (details.failed) {
    failed++;
    console.log(`${name}: FAILED after ${runs} inputs (${seconds}s)`);
    console.log(`  smallest failing input: ${fc.stringify(details.counterexample)}`);
    console.log(`  ${String(details.errorInstance ?? "").split("\n")[0]}`);
  } else {
    console.log(`${name}: ${runs} inputs, no failure (${seconds}s)`);
  }
}
console.log(`fuzz: ${tried} inputs tried, ${failed} of ${properties.length} properties failed`);
Deno.exit(failed ? 1 : 0);
