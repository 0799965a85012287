/**
 * What `h3 --version` and `--help` load before they print: from source, the static import closure
 * of main.ts (`deno info --json`; dynamic imports are the lazy commands), which is also what the
 * bundle evaluates at start; from the bundle, the files Deno reads at start (the entry, its static
 * imports and literal dynamic imports, which Deno loads with the graph), their size and the Node
 * built-ins they import, and, in an unminified bundle, the modules named by the bundler's markers.
 * Heavy code (tar, YAML, semver, the registry client, chart and cache code) must be in none of them.
 * @module
 */
import { moduleGraph } from "../scripts/_build.ts";

/**
 * Module paths that must stay off the start path (the cache's lock file is tiny and needed): the
 * npm packages commands use (gunshi only runs commands), and the registry, chart and cache code.
 */
const heavy =
  /openpgp|@sigstore|@noble|smol-toml|gunshi|modern-tar|yaml|semver|core\/(transport|chart|auth|sign)\/|core\/cache\/(?!lock\.ts)/;

/** What a start path holds. */
export interface StartPath {
  /** Modules (source: specifiers; bundle: the bundler's `// path` markers) on it. */
  modules: string[];
  /** Node built-ins (`node:*`) imported on it. */
  builtins: string[];
  /** Heavy modules on it. */
  heavy: string[];
  /** Bytes of JavaScript/TypeScript read at start (bundle only). */
  bytes?: number;
  /** Files read at start (bundle only). */
  files?: number;
}

/** The static import closure of `entry` (a source file), from `deno info --json`. */
export async function sourceStartPath(root: string, entry: string): Promise<StartPath> {
  const info = await moduleGraph(entry, root);
  const bySpecifier = new Map(info.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const visit = (specifier: string) => {
    if (seen.has(specifier)) return;
    seen.add(specifier);
    for (const dep of bySpecifier.get(specifier)?.dependencies ?? []) {
      if (dep.code?.specifier && !dep.isDynamic) visit(dep.code.specifier);
    }
  };
  info.roots.forEach(visit);
  const base = new URL(`file://${root}/`).href;
  const modules = [...seen].map((s) => s.replace(base, "")).sort();
  return summarize(modules);
}

/**
 * Static imports, and dynamic imports of a literal relative path: Deno reads and parses those
 * while it builds the module graph, before anything runs (a computed `import(url)` it does not).
 * A statement starts a line, or follows `;` or `}` in minified code.
 */
const imports =
  /(?<=^|[;}])(?:import|export)\b[^;"()]*?from\s*"([^"]+)"|(?<=^|[;}])import\s*"([^"]+)"|\bimport\(\s*"(\.[^"]+)"\s*\)/gm;

/** The files a bundle entry reads at start (itself, its static imports and literal dynamic ones). */
export async function bundleStartPath(entry: string): Promise<StartPath> {
  const files = new Set<string>();
  const modules: string[] = [];
  const builtins = new Set<string>();
  let bytes = 0;
  const visit = async (path: string) => {
    if (files.has(path)) return;
    files.add(path);
    const text = await Deno.readTextFile(path);
    bytes += text.length;
    for (const marker of text.matchAll(/^\/\/ (\S+\.[cm]?[jt]sx?|\S+\.json)$/gm)) {
      modules.push(marker[1].replace(/^.*\/registry\.npmjs\.org\//, "npm:"));
    }
    for (const match of text.matchAll(imports)) {
      const specifier = match[1] ?? match[2] ?? match[3];
      if (specifier.startsWith("node:")) builtins.add(specifier);
      else if (specifier.startsWith(".")) {
        await visit(new URL(specifier, `file://${path}`).pathname);
      }
    }
  };
  await visit(await Deno.realPath(entry));
  const summary = summarize([...new Set(modules)].sort());
  return { ...summary, builtins: [...builtins].sort(), bytes, files: files.size };
}

function summarize(modules: string[]): StartPath {
  return {
    modules: modules.filter((m) => !m.startsWith("node:")),
    builtins: modules.filter((m) => m.startsWith("node:")),
    heavy: modules.filter((m) => heavy.test(m)),
  };
}

/** The npm packages among `modules` (by name), for a short summary. */
export function packages(modules: string[]): string[] {
  const names = modules.filter((m) => m.startsWith("npm:")).map((m) =>
    m.replace(/^npm:\/?/, "").replace(/^(@[^/]+\/[^/@]+|[^/@]+).*$/, "$1")
  );
  return [...new Set(names)].sort();
}

/** How to run the program whose Node layer use {@link nodeLayerModules} reports. */
export interface ProfiledRun {
  /** The program's entry file (`dist/h3.js` or `main.ts`). */
  entry: string;
  /** Its arguments. */
  args: string[];
  /** Environment for the run (added to the inherited one). */
  env?: Record<string, string>;
  /** Working directory. */
  cwd?: string;
}

/**
 * The modules of Deno's Node compatibility layer (`ext:deno_node/...`, `node:*`) that ran while
 * `entry` ran, by V8's CPU profile sampled every 100 µs: loading the layer runs ~25 ms of its code,
 * hundreds of samples, and a run that never loads it has none of its code to sample.
 */
export async function nodeLayerModules(run: ProfiledRun): Promise<string[]> {
  const dir = await Deno.makeTempDir({ prefix: "h3-cpu-prof-" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        "--cpu-prof",
        `--cpu-prof-dir=${dir}`,
        "--cpu-prof-interval=100",
        run.entry,
        ...run.args,
      ],
      cwd: run.cwd,
      env: run.env,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(`${run.args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
    }
    const layer = new Set<string>();
    for await (const file of Deno.readDir(dir)) {
      const profile = JSON.parse(await Deno.readTextFile(`${dir}/${file.name}`)) as {
        nodes: { callFrame: { url: string } }[];
      };
      for (const node of profile.nodes) {
        const url = node.callFrame.url;
        if (url.startsWith("ext:deno_node/") || url.startsWith("node:")) layer.add(url);
      }
    }
    return [...layer].sort();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
