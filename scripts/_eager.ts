/**
 * Makes V8 compile up front the functions a start runs, so that they are in Deno's code cache. Deno
 * caches what V8 compiled when it compiled a module, which is its top-level code and the functions
 * V8 compiles eagerly, and V8 compiles a function lazily, at its first call in every run, unless it
 * is wrapped in parentheses (`(function () {...})`, V8's heuristic for a function called at once).
 * Compiling the ~100 functions that `h3 --help` or `chart list` run cost ~3 ms of a 30 ms start
 * here; wrapping every function instead makes the cache bigger, and `--version` slower.
 *
 * The functions to wrap are found by running the start with V8's coverage (`hotFunctions`). A
 * function expression or arrow function is wrapped where it is; a function declaration becomes
 * `var NAME = (function (...) {...});` at the start of its scope (`let` in an inner block), which
 * keeps what hoisting gave it: the binding is set before any other statement of the scope runs.
 * @module
 */
import { parse } from "acorn";

/** The node fields this rewrite reads (acorn's ESTree nodes). */
interface Node {
  type: string;
  start: number;
  end: number;
  [field: string]: unknown;
}

/** A replacement of `code.slice(start, end)` (an insertion when they are equal). */
interface Edit {
  start: number;
  end: number;
  text: () => string;
  /** For the insertion of a scope's moved declarations: that scope. */
  into?: Node;
}

function isNode(value: unknown): value is Node {
  return typeof value === "object" && value !== null && typeof (value as Node).type === "string";
}

function children(node: Node): Node[] {
  return Object.entries(node).flatMap(([key, value]) =>
    key === "type" ? [] : (Array.isArray(value) ? value : [value]).filter(isNode)
  );
}

/** Whether `node` is the function of a method, getter, setter or constructor (not wrappable). */
function isMethod(node: Node, parent: Node): boolean {
  if (parent.type === "MethodDefinition") return true;
  return parent.type === "Property" && parent.value === node &&
    (parent.method === true || parent.kind !== "init");
}

/** Where declarations move to in a scope: after its opening brace and its directives. */
function scopeStart(scope: Node): number {
  const body = (scope.type === "Program" ? scope.body : scope.body) as Node[];
  const directives = body.filter((s, i) =>
    s.type === "ExpressionStatement" && typeof s.directive === "string" &&
    body.slice(0, i).every((d) => typeof d.directive === "string")
  );
  if (directives.length > 0) return directives[directives.length - 1].end;
  return scope.type === "Program" ? scope.start : scope.start + 1;
}

/**
 * `code` (a module) with the functions that `hot` names (`"start:end"` offsets, as V8's coverage
 * gives them) made eager: its behaviour is the same.
 */
export function eagerFunctions(code: string, hot: Set<string>): string {
  const ast = parse(code, { ecmaVersion: "latest", sourceType: "module" }) as unknown as Node;
  const edits: Edit[] = [];
  const moved = new Map<Node, Edit[]>();
  /**
   * `code` from `start` to `end` with the edits inside it applied, but `except` and the insertion
   * into `outer` (a declaration moved there renders itself without it: in minified code the
   * declaration can start where its scope's insertion is, `{function f(){...}`).
   */
  const render = (start: number, end: number, except?: Edit, outer?: Node): string => {
    let out = "";
    let at = start;
    for (const edit of edits) {
      if (edit === except || edit.start < at || edit.end > end) continue;
      if (outer && edit.into === outer) continue;
      out += code.slice(at, edit.start) + edit.text();
      at = edit.end;
    }
    return out + code.slice(at, end);
  };
  const visit = (node: Node, parent: Node | undefined, scope: Node, keyword: string) => {
    const isHot = hot.has(`${node.start}:${node.end}`);
    if (
      isHot && parent && !isMethod(node, parent) &&
      (node.type === "FunctionExpression" || node.type === "ArrowFunctionExpression")
    ) {
      const edit: Edit = {
        start: node.start,
        end: node.end,
        text: () => `(${render(node.start, node.end, edit)})`,
      };
      edits.push(edit);
    }
    if (
      isHot && node.type === "FunctionDeclaration" && parent &&
      (parent.type === "Program" || parent.type === "BlockStatement")
    ) {
      const id = node.id as Node & { name: string };
      const removed: Edit = { start: node.start, end: node.end, text: () => "" };
      edits.push(removed);
      const list = moved.get(scope) ?? [];
      moved.set(scope, list);
      // Anonymous, so that the body's uses of NAME see the binding (a declaration's can change).
      const text = () =>
        `${keyword} ${id.name}=(${render(node.start, id.start, removed, scope)}${
          render(id.end, node.end, removed, scope)
        });`;
      list.push({ start: 0, end: 0, text });
    }
    for (const child of children(node)) {
      const block = child.type === "BlockStatement";
      const functionBody = block && node.type.includes("Function");
      visit(child, node, block ? child : scope, block ? (functionBody ? "var" : "let") : keyword);
    }
  };
  visit(ast, undefined, ast, "var");
  for (const [scope, list] of moved) {
    const at = scopeStart(scope);
    const text = () => list.map((edit) => edit.text()).join("");
    edits.push({ start: at, end: at, text, into: scope });
  }
  edits.sort((a, b) => a.start - b.start || (a.end - a.start) - (b.end - b.start));
  return render(0, code.length);
}

/** One function's entry in V8's coverage (`deno run --coverage`): its first range is itself. */
interface FunctionCoverage {
  ranges: { startOffset: number; endOffset: number; count: number }[];
}

/**
 * The functions that ran, by module URL, from the coverage files in `dir` (`start:end` offsets).
 */
export async function hotFunctions(dir: string): Promise<Map<string, Set<string>>> {
  const byUrl = new Map<string, Set<string>>();
  for await (const file of Deno.readDir(dir)) {
    const profile = JSON.parse(await Deno.readTextFile(`${dir}/${file.name}`)) as {
      url: string;
      functions: FunctionCoverage[];
    };
    let hot = byUrl.get(profile.url);
    if (!hot) byUrl.set(profile.url, hot = new Set());
    for (const { ranges: [whole] } of profile.functions) {
      if (whole && whole.count > 0) hot.add(`${whole.startOffset}:${whole.endOffset}`);
    }
  }
  return byUrl;
}
