/**
 * Keeps Node built-ins off the bundle's start path. The bundler hoists every static import of a
 * chunk to its top, so a `node:` module that one command needs would load whenever its chunk does
 * (most cost 10-40 ms). h3's own code imports them dynamically; this rewrites what the bundler and
 * npm packages leave behind, in plain or minified output, and refuses anything it cannot make lazy.
 * @module
 */

/** The bundler's `require` for CommonJS packages, built from `node:module` when its chunk loads. */
const eagerRequire =
  /import\s*\{\s*createRequire as __deno_internal_createRequire\s*\}\s*from\s*"node:module";\s*var ([A-Za-z_$][\w$]*)\s*=\s*__deno_internal_createRequire\(import\.meta\.url\);/;

/** Defined once where a default import became lazy: a stand-in that loads the module on use. */
const lazyDefault = "var __lazyBuiltin = (id) => { const m = () => process.getBuiltinModule(id);" +
  " return new Proxy(function () {}, { apply: (_, self, args) => Reflect.apply(m(), self, args)," +
  " construct: (_, args) => Reflect.construct(m(), args), get: (_, key) => m()[key] }); };";

/** Defined once where a namespace import became lazy: an object loading the module on use. */
const lazyNamespace =
  "var __lazyNamespace = (id) => { const m = () => process.getBuiltinModule(id);" +
  " return new Proxy({}, { get: (_, key) => m()[key], has: (_, key) => key in m()," +
  " ownKeys: () => Reflect.ownKeys(m()), getOwnPropertyDescriptor: (_, key) =>" +
  " ({ ...Reflect.getOwnPropertyDescriptor(m(), key), configurable: true }) }); };";

/** Where a statement can start: a line's start, or after `;` or `}` (minified output). */
const start = "(?<=^|[;}])";
const name = String.raw`([A-Za-z_$][\w$]*)`;
const from = String.raw`\s*from\s*"(node:[\w/]+)";`;
const defaultImport = new RegExp(String.raw`${start}import\s+${name}${from}`, "gm");
const namespaceImport = new RegExp(String.raw`${start}import\s*\*\s*as\s+${name}${from}`, "gm");
/** A package's own `createRequire` (openpgp's Node build): made when first called. */
const createRequireImport = new RegExp(
  String.raw`${start}import\s*\{\s*createRequire(?: as ${name})?\s*\}${from}`,
  "gm",
);
/** Any static import or re-export of a built-in (not `import("node:...")`, which is lazy). */
const staticImport = new RegExp(
  String.raw`${start}\s*(?:(?:import|export)\b[^;"()]*?from\s*|import\s*)"node:[^"]+";?`,
  "gm",
);

/**
 * Rewrites `code` (a chunk of the bundler's output, minified or not) so that no `node:` module
 * loads with it: the eager `require` and default and namespace imports of built-ins become lazy.
 * Throws naming any static `node:` import left (a named import from a package: import that module
 * lazily instead).
 */
export function lazyBuiltins(code: string): string {
  let out = code.replace(
    eagerRequire,
    (_, name: string) => `var ${name} = (id) => process.getBuiltinModule(id);`,
  );
  let lazy = false;
  out = out.replace(defaultImport, (_, name: string, id: string) => {
    lazy = true;
    return `var ${name} = __lazyBuiltin(${JSON.stringify(id)});`;
  });
  let namespaces = false;
  out = out.replace(namespaceImport, (_, name: string, id: string) => {
    namespaces = true;
    return `var ${name} = __lazyNamespace(${JSON.stringify(id)});`;
  });
  out = out.replace(
    createRequireImport,
    (_, name: string | undefined) =>
      `var ${name ?? "createRequire"} = (url) => ` +
      'process.getBuiltinModule("node:module").createRequire(url);',
  );
  const left = [...out.matchAll(staticImport)].map((m) => m[0]);
  if (left.length > 0) {
    throw new Error(`static node: imports would load at every start: ${left.join(" | ")}`);
  }
  return [lazy ? lazyDefault : "", namespaces ? lazyNamespace : "", out].filter(Boolean).join("\n");
}
