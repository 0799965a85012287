/**
 * A bundle's start file: `h3.js` imports it, and it answers the common starts alone (`--version`,
 * the help pages, usage errors, `chart list`) as one file, where the code-split program would read
 * a dozen chunks or more (Deno fetches, analyses and compiles each module file on its own, and
 * builds the module graph again at every dynamic import). It is h3's own command line built
 * without the modules of the other commands, gunshi and plugins: main.ts's `startMain` checks
 * first whether the start needs any of them, and if so, having printed nothing, the start file
 * imports the whole program (`entry.js`), which runs the start from scratch with its own modules.
 * Nothing is shared between the two, so no state (error classes, cleanups, plugins) is split.
 * @module
 */
import { relative } from "node:path";
import { fileURLToPath as fromFileUrl, pathToFileURL } from "node:url";
import { moduleGraph, root } from "./_build.ts";

/**
 * The modules that dispatch to commands: what they import dynamically is the other commands'
 * code, gunshi and plugins', which the start file leaves out.
 */
const dispatchers = ["commands/tree.ts", "commands/_plugin_entries.ts", "commands/_cli.ts"];

/**
 * What the start file built from `entry` leaves out (for `deno bundle --external`): every module
 * the dispatchers import dynamically except the command modules `own` (paths from the root), as an
 * absolute path (a file) or as written (a package).
 */
export async function startExternals(entry: string, own: string[]): Promise<string[]> {
  const { modules } = await moduleGraph(entry);
  const rootUrl = pathToFileURL(`${root}/`).href;
  const kept = new Set(own.map((path) => new URL(path, rootUrl).href));
  const externals = new Set<string>();
  for (const module of modules) {
    if (!dispatchers.some((path) => module.specifier === new URL(path, rootUrl).href)) continue;
    for (const dep of module.dependencies ?? []) {
      const target = dep.code?.specifier;
      if (!dep.isDynamic || !target || kept.has(target)) continue;
      externals.add(target.startsWith("file:") ? fromFileUrl(target) : dep.specifier);
    }
  }
  const missing = [...kept].filter((url) =>
    !modules.some((m) => m.dependencies?.some((d) => d.code?.specifier === url))
  );
  if (missing.length > 0) {
    throw new Error(
      `start commands not in the command tree: ${missing.map((url) => fromFileUrl(url))}`,
    );
  }
  return [...externals].sort();
}

/** A dynamic import the bundler left literal: of a module left out (a `node:` built-in stays). */
const leftOut = /\bimport\(\s*"(?!node:)([^"]+)"\s*\)/g;

/**
 * Finishes the start file's code: each import of a module left out becomes a rejection, which
 * `startMain` never reaches (it hands such starts over first); were it reached, it fails with a
 * message rather than by reading a file that is not there. Throws when there is none (the
 * externals did not apply, and the start file holds the whole program).
 */
export function startFile(code: string): string {
  let count = 0;
  const out = code.replace(leftOut, (_, specifier: string) => {
    count++;
    const name = specifier.startsWith("/") ? relative(root, specifier) : specifier;
    return `Promise.reject(new Error(${JSON.stringify(`${name} is not in h3's start file`)}))`;
  });
  if (count === 0) throw new Error("the start file leaves nothing out: check its externals");
  return out;
}
