/**
 * What makes a code-split bundle start as fast as its smallest part. `deno run` reads, before
 * anything runs, every module a string-literal `import("./x.js")` names (it builds the whole module
 * graph up front), so the bundler's lazy chunks would all be read at every start; a specifier
 * computed at run time is read only when the import runs. Built-ins are made lazy per chunk too.
 * @module
 */
import { lazyBuiltins } from "./_lazy_builtins.ts";

/** A dynamic import of a sibling chunk, as the bundler writes it. */
const literalImport = /\bimport\(\s*"(\.\/[\w.-]+\.js)"\s*\)/g;

/**
 * Rewrites `import("./chunk.js")` into `import(String("./chunk.js"))`: the same import, which Deno
 * resolves against the chunk's own URL when it runs, but no longer read with the start path.
 */
export function hideDynamicImports(code: string): string {
  return code.replace(literalImport, (_, specifier: string) => `import(String("${specifier}"))`);
}

/** A chunk as the bundler wrote it, made ready to ship: lazy imports and lazy built-ins. */
export function finishChunk(code: string): string {
  return lazyBuiltins(hideDynamicImports(code));
}
