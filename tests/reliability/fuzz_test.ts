/**
 * The property-based checks of every parser that reads outside input (tests/helpers/properties.ts),
 * a bounded run each: any input ends in a value or a typed error, and what parses re-serialises to
 * the same meaning. `deno task fuzz` runs the same properties for minutes.
 */
import fc from "fast-check";
import { properties } from "../helpers/properties.ts";

for (const { name, property } of properties) {
  Deno.test(`property: ${name}`, async () => {
    await fc.assert(property, { numRuns: 300 });
  });
}
