/**
 * scripts/_eager.ts: making a bundle's hot functions eager changes nothing a module does. Function
 * declarations keep hoisting (used before they appear, in blocks, reassigned), expressions and
 * arrows are wrapped where they are, methods and accessors stay as they are, and only the functions
 * named hot are touched.
 */
import assert from "node:assert/strict";
import { parse } from "acorn";
import { eagerFunctions } from "../../scripts/_eager.ts";

const sample = `
"use strict";
const log = [];
log.push(early(2));
function early(x) { return later(x) + 1; }
function later(x) { return x * 10; }
let cached = 0;
function lazyInit() { lazyInit = () => cached; cached = 7; return -1; }
log.push(lazyInit(), lazyInit());
{
  log.push(inBlock());
  function inBlock() { return "block"; }
}
function outer(n) {
  "use strict";
  return inner(n);
  function inner(m) { return m > 0 ? inner(m - 1) + 1 : 0; }
}
log.push(outer(3));
const arrow = (a, b = () => 5) => a + b();
const expression = function named(n) { return n < 1 ? "done" : named(n - 1); };
log.push(arrow(1), expression(2));
const object = {
  method() { return "method"; },
  get value() { return "getter"; },
  field: () => "field",
};
class Counter {
  count = (() => 1)();
  add() { return ++this.count; }
  static make() { return new Counter(); }
}
log.push(object.method(), object.value, object.field(), Counter.make().add());
async function* numbers() { yield 1; yield 2; }
for await (const n of numbers()) log.push(n);
log.push(typeof early, early.name, lazyInit.name === "" ? "anonymous" : "named");
switch (log.length) {
  default: {
    function inSwitch() { return "switch"; }
    log.push(inSwitch());
  }
}
export default log;
`;

interface Node {
  type: string;
  start: number;
  end: number;
}

/** Every function of `code`, as `start:end`. */
function allFunctions(code: string): Set<string> {
  const found = new Set<string>();
  const visit = (value: unknown) => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (typeof value !== "object" || value === null) return;
    const node = value as Node;
    if (/Function/.test(node.type)) found.add(`${node.start}:${node.end}`);
    Object.values(node).forEach(visit);
  };
  visit(parse(code, { ecmaVersion: "latest", sourceType: "module" }));
  return found;
}

async function run(code: string): Promise<unknown> {
  const url = `data:text/javascript;base64,${btoa(code)}`;
  return (await import(url)).default;
}

Deno.test("eager functions: the module does what it did", async () => {
  const hot = allFunctions(sample);
  const eager = eagerFunctions(sample, hot);
  assert.notEqual(eager, sample);
  assert.match(eager, /var early=\(function \(x\)/);
  assert.match(eager, /let inBlock=\(function \(\)/);
  assert.match(eager, /\(\(a, b = \(\(\) => 5\)\) => a \+ b\(\)\)/);
  assert.match(eager, /method\(\) \{ return "method"; \}/); // methods stay
  assert.match(eager, /"use strict";\s*var inner=/); // after the directive
  assert.deepEqual(await run(eager), await run(sample));
  assert.deepEqual(await run(sample), [
    21,
    -1,
    7,
    "block",
    3,
    6,
    "done",
    "method",
    "getter",
    "field",
    2,
    1,
    2,
    "function",
    "early",
    "named",
    "switch",
  ]);
});

Deno.test("eager functions: only the hot ones change", () => {
  assert.equal(eagerFunctions(sample, new Set()), sample);
  const start = sample.indexOf("function later");
  const end = sample.indexOf("}", start) + 1;
  const eager = eagerFunctions(sample, new Set([`${start}:${end}`]));
  assert.equal(
    eager.replace("var later=(function (x) { return x * 10; });", ""),
    sample.replace(
      "function later(x) { return x * 10; }",
      "",
    ),
  );
});

Deno.test("eager functions: minified code, a declaration first in its scope", async () => {
  const minified =
    "function a(){return b()+1}function b(){return 1}function o(){function i(){return 2}return i()}export default[a(),o(),(()=>{{function c(){return 3}return c()}})()];";
  const eager = eagerFunctions(minified, allFunctions(minified));
  assert.match(eager, /^var a=\(function \(\)\{return b\(\)\+1\}\);var b=/);
  assert.match(eager, /\{var i=\(function \(\)\{return 2\}\);return i\(\)\}/);
  assert.deepEqual(await run(eager), [2, 2, 3]);
});
