/**
 * Keeps Node built-ins off the bundle's start path. A one-file bundle hoists every static import to
 * its top, so a `node:` module that one command needs would load on every start (most cost 10-40
 * ms). h3's own code imports them dynamically; this rewrites what the bundler and npm packages
 * leave behind, and refuses anything it cannot make lazy.
 * @module
 */

/** The bundler's `require` for CommonJS packages, built from `node:module` at start. */
const eagerRequire =
  'import { createRequire as __deno_internal_createRequire } from "node:module";\n' +
  "var __require = __deno_internal_createRequire(import.meta.url);";

/** The same `require`, fetching a built-in when a package first asks for it. */
const lazyRequire = "var __require = (id) => process.getBuiltinModule(id);";

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

const defaultImport = /^import ([A-Za-z_$][\w$]*) from "(node:[\w/]+)";$/gm;
const namespaceImport = /^import \* as ([A-Za-z_$][\w$]*) from "(node:[\w/]+)";$/gm;
/** A package's own `createRequire` (openpgp's Node build): made when first called. */
const createRequireImport =
  /^import \{ createRequire(?: as ([A-Za-z_$][\w$]*))? \} from "node:module";$/gm;
const staticImport = /^(?:import|export)\b[^;]*?(?:from\s*)?"(node:[^"]+)";/gm;

/**
 * Rewrites `code` (the bundler's unminified output) so that no `node:` module loads at start:
 * the eager `require` and default imports of built-ins become lazy. Throws naming any static
 * `node:` import left (a named import from a package: import that module lazily instead).
 */
export function lazyBuiltins(code: string): string {
  let out = code.replace(eagerRequire, lazyRequire);
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
