/**
 * `deno task bundle [--plugin PATH]... [--output FILE]`: builds `dist/h3.js`, which runs with a
 * bare `deno run -A dist/h3.js` from any directory, with the shipped plugins and the chosen ones
 * baked in, and its code beside it in `dist/h3.chunks/`; and `mod.js`, the library (`mod.ts`) as
 * one file that `deno run` scripts import without h3's checkout or config.
 *
 * The program is split into chunks (`deno bundle --code-splitting`) so that a start reads only
 * what it runs: a command its own code and what it shares; openpgp, the Sigstore libraries and the
 * like only in the commands that use them. Deno reads and checks every file of a start path at
 * every start (~15 ms a MiB here), so the chunks are minified too. `h3.js` answers a lone
 * `--version` itself and imports the start file (`_start_file.ts`) for any other start: one file
 * that answers the help pages, usage errors and the first commands alone, with the functions they
 * run compiled up front (`_eager.ts`), and hands other starts to the chunks, in which the functions
 * that one chart's way through the cache runs (save, show, export, remove) are compiled up front
 * too.
 * @module
 */
import { basename, dirname } from "node:path";
import { pathToFileURL } from "node:url";
import {
  buildCommit,
  deno,
  distDir,
  parseBuildFlags,
  root,
  writeEntry,
  writeStartEntry,
} from "./_build.ts";
import { finishChunk } from "./_chunks.ts";
import { startExternals, startFile } from "./_start_file.ts";
import { eagerFunctions, hotFunctions } from "./_eager.ts";
import { annotations } from "../core/oci/media_types.ts";
import { probedPackages, withoutNodeProbes } from "./_node_globals.ts";
import { versionFlags, versionLine } from "../main.ts";
import { helpFlags } from "../commands/_help.ts";
import { helmHome, homeDir, pluginsDir } from "../core/paths.ts";
import { manifestPath } from "../core/plugin/installed.ts";
import { tree } from "../commands/tree.ts";
import { isGroup } from "../commands/_entries.ts";

/** The folder of a bundle's chunks: `h3.chunks/` beside `h3.js`. */
function chunksDir(output: string): string {
  return `${dirname(output)}/${basename(output, ".js")}.chunks`;
}

/**
 * `h3.js`, which runs the start file in `chunks`, but answers a lone `--version` (or `-v`) itself:
 * the version line is known when the bundle is built, so that start reads no chunk (~2 ms of CPU
 * for the start file's 48 KiB here). So is h3's own help page (`--help`, `-h` or no words) while no
 * plugin is installed (~3 ms of CPU for the start file here): `help` is the page as the build's
 * program printed it, and `h3.js` looks for the plugins manifest with the program's own functions,
 * their source written into it. Any other start, `--debug --version` too, goes to main.ts:
 * through the start file, or, when the command line names a built-in command of `others` (those
 * the start file does not run, which it would hand over at once), straight to the whole program
 * (`entry.js`, imported by a computed specifier so that Deno does not read its modules at every
 * start): loading and compiling the start file for nothing cost ~5 ms of CPU per such start.
 */
function entryFile(
  chunks: string,
  commit: string,
  others: Record<string, true | string[]>,
  help: string,
): string {
  return [
    "#!/usr/bin/env -S deno run -A",
    `// h3: its code is in ${chunks}/ beside this file; a lone --version is answered here, and`,
    "// h3's help page while no plugin is installed.",
    "const words = Deno.args;",
    "const noPlugins = () => {",
    ...[homeDir, helmHome, pluginsDir, manifestPath].map((f) =>
      `  ${f.toString().replaceAll("\n", "\n  ")}`
    ),
    "  try {",
    "    Deno.statSync(manifestPath());",
    "    return false;",
    "  } catch (error) {",
    "    return error instanceof Deno.errors.NotFound;",
    "  }",
    "};",
    `if (words.length === 1 && ${JSON.stringify(versionFlags)}.includes(words[0])) {`,
    `  console.log(${JSON.stringify(versionLine(commit))});`,
    "} else if (",
    `  (words.length === 0 || (words.length === 1 && ${
      JSON.stringify(helpFlags)
    }.includes(words[0]))) &&`,
    "  noPlugins()",
    ") {",
    `  console.log(${JSON.stringify(help.replace(/\n$/, ""))});`,
    "} else {",
    `  const others = ${JSON.stringify(others)};`,
    '  const [first, second] = words.filter((word) => !word.startsWith("-"));',
    "  const named = first !== undefined && Object.hasOwn(others, first) ? others[first] : [];",
    "  if (named === true || named.includes(second)) {",
    `    await import(import.meta.resolve(${JSON.stringify(`./${chunks}/entry.js`)}));`,
    `  } else await import(${JSON.stringify(`./${chunks}/start.js`)});`,
    "}",
    "",
  ].join("\n");
}

/**
 * The built-in commands other than `own`, as a start file tells them (`namesOtherBuiltIn` in
 * commands/_cli.ts): a command by its name, a group's by the names of its commands.
 */
function otherCommands(own: string[][]): Record<string, true | string[]> {
  const owned = new Set(own.map((words) => words.join(" ")));
  const others: Record<string, true | string[]> = {};
  for (const [name, entry] of Object.entries(tree)) {
    if (!isGroup(entry)) {
      if (!owned.has(name)) others[name] = true;
      continue;
    }
    const subs = Object.keys(entry.commands).filter((sub) => !owned.has(`${name} ${sub}`));
    if (subs.length) others[name] = subs;
  }
  return others;
}

/**
 * The built-in commands a bundle's start file runs itself (besides `--version`, the help pages and
 * usage errors), each with its module: the common first commands, light ones with nothing to parse.
 */
const startCommands: Record<string, string> = {
  "chart list": "commands/chart_list.ts",
  "plugin list": "commands/plugin_list.ts",
};

/**
 * The starts whose functions the start file has V8 compile up front (`_eager.ts`), run with an
 * empty HELM_HOME but for one chart in the cache's index (what `chart list` reads).
 */
const profiledStarts = [
  ["--version"],
  ["--help"],
  ["chart", "--help"],
  ["chart", "list"],
  ["plugin", "list"],
];

/**
 * Runs the built `script` with `args` at build time, with `home` as HELM_HOME (and HOME): only the
 * variables h3 reads on these runs are set, so the builder's own settings (its plugins, say) stay
 * out. `flags` go to `deno run`. Fails unless the run succeeds.
 */
async function runBuilt(
  script: string,
  args: string[],
  home: string,
  work: string,
  flags: string[] = [],
): Promise<Deno.CommandOutput> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-config", ...flags, script, ...args],
    env: {
      HELM_HOME: home,
      HELM_PLUGINS: `${home}/plugins`,
      HOME: home,
      DOCKER_CONFIG: `${home}/docker`,
      NO_COLOR: "1",
    },
    cwd: work,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`build: h3 ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return out;
}

/** Runs `script` with each of `runs` under V8's coverage: the functions that ran, by module URL. */
async function profileRuns(
  script: string,
  runs: string[][],
  home: string,
  work: string,
): Promise<Map<string, Set<string>>> {
  const coverage = `${home}.coverage`;
  for (const args of runs) await runBuilt(script, args, home, work, [`--coverage=${coverage}`]);
  return await hotFunctions(coverage);
}

/** Runs `start` (the start file, its chunks beside it) for each profiled start, with coverage. */
async function profileStart(start: string, work: string): Promise<Set<string>> {
  const home = `${work}/profile-home`;
  await Deno.mkdir(`${home}/registry`, { recursive: true });
  const created = "2026-01-01T00:00:00Z";
  await Deno.writeTextFile(
    `${home}/registry/index.json`,
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        digest: `sha256:${"0".repeat(64)}`,
        size: 1,
        annotations: {
          [annotations.refName]: "example.com/charts/demo:1.0.0",
          [annotations.title]: "demo",
          [annotations.version]: "1.0.0",
          [annotations.created]: created,
          [annotations.contentDigest]: `sha256:${"1".repeat(64)}`,
          [annotations.contentSize]: "1234",
        },
      }],
    }),
  );
  const hot = await profileRuns(start, profiledStarts, home, work);
  return hot.get(pathToFileURL(start).href) ?? new Set();
}

/** h3's help page as the program at `start` prints it with no plugin installed. */
async function programHelp(start: string, work: string): Promise<string> {
  const out = await runBuilt(start, ["--help"], `${work}/help-home`, work);
  const [help, problem] = [out.stdout, out.stderr].map((bytes) => new TextDecoder().decode(bytes));
  if (problem !== "" || !help.startsWith("h3: ")) {
    throw new Error(`h3 --help (for h3.js) printed ${JSON.stringify(help + problem)}`);
  }
  return help;
}

/**
 * The commands whose functions the program's chunks have V8 compile up front: one chart's way
 * through the cache, offline (`CHART` is a small chart made for it, `OUT` a new folder).
 */
const profiledCommands = [
  ["chart", "save", "CHART", "example.com/charts/demo:1.0.0"],
  ["chart", "show", "all", "example.com/charts/demo:1.0.0"],
  ["chart", "export", "example.com/charts/demo:1.0.0", "--destination", "OUT"],
  ["chart", "remove", "example.com/charts/demo:1.0.0"],
];

/**
 * Makes the functions that `profiledCommands` run eager in the program's chunks in `chunks` (not
 * the start file, which has its own starts): a one-chart `chart save` compiled ~8 ms of them at
 * every run.
 */
async function eagerProgram(chunks: string, work: string): Promise<void> {
  const chart = `${work}/profile-chart`;
  await Deno.mkdir(`${chart}/templates`, { recursive: true });
  await Deno.writeTextFile(`${chart}/Chart.yaml`, "apiVersion: v2\nname: demo\nversion: 1.0.0\n");
  await Deno.writeTextFile(`${chart}/values.yaml`, "replicas: 1\nimage: demo:1.0.0\n");
  await Deno.writeTextFile(`${chart}/.helmignore`, "*.bak\n.git/\n");
  await Deno.writeTextFile(`${chart}/templates/deployment.yaml`, "kind: Deployment\n");
  const runs = profiledCommands.map((args) =>
    args.map((arg) => arg === "CHART" ? chart : arg === "OUT" ? `${work}/profile-out` : arg)
  );
  const hot = await profileRuns(`${chunks}/entry.js`, runs, `${work}/program-home`, work);
  let functions = 0;
  for await (const file of Deno.readDir(chunks)) {
    const found = hot.get(pathToFileURL(`${chunks}/${file.name}`).href);
    if (file.name === "start.js" || !found?.size) continue;
    functions += found.size;
    const path = `${chunks}/${file.name}`;
    await Deno.writeTextFile(path, eagerFunctions(await Deno.readTextFile(path), found));
  }
  if (functions < 100) throw new Error(`the program's profile found ${functions} functions`);
}

/**
 * Builds the start file `DIR/start.js` from `entry` (see `_start_file.ts`): one file without the
 * modules of other commands, gunshi or plugins, whose `import()`s of those hand the start over;
 * the functions its common starts run are compiled up front (`_eager.ts`).
 */
async function bundleStart(entry: string, dir: string, work: string): Promise<void> {
  const externals = await startExternals(entry, Object.values(startCommands));
  const out = `${work}/start`;
  await deno([
    "bundle",
    "--quiet",
    "--platform",
    "browser",
    "--minify",
    ...externals.flatMap((path) => ["--external", path]),
    "--outdir",
    out,
    entry,
  ]);
  const code = finishChunk(startFile(await Deno.readTextFile(`${out}/start.js`)));
  const start = `${dir}/start.js`;
  await Deno.writeTextFile(start, code);
  const hot = await profileStart(start, work);
  if (hot.size < 20) throw new Error(`the start file's profile found ${hot.size} functions`);
  await Deno.writeTextFile(start, eagerFunctions(code, hot));
}

/**
 * Builds the program into `output` and its chunks folder, replacing an earlier build's chunks (their
 * names carry content hashes, so old ones would pile up); `start` is the start file's entry.
 */
async function bundleProgram(
  entry: string,
  start: string,
  output: string,
  work: string,
  commit: string,
  own: string[][],
): Promise<void> {
  const split = `${work}/split`;
  await deno([
    "bundle",
    "--quiet",
    // yaml's and openpgp's builds for the web: ESM on web APIs (their Node builds load Deno's Node
    // layer). Nothing else in h3's packages differs by platform; h3's code runs on Deno either way.
    "--platform",
    "browser",
    "--code-splitting",
    "--minify",
    "--outdir",
    split,
    entry,
  ]);
  const chunks = chunksDir(output);
  const staged = `${chunks}.${Deno.pid}.tmp`;
  await Deno.mkdir(staged, { recursive: true });
  const probed = new Set<string>();
  for await (const file of Deno.readDir(split)) {
    const { code, found } = withoutNodeProbes(await Deno.readTextFile(`${split}/${file.name}`));
    found.forEach((name) => probed.add(name));
    await Deno.writeTextFile(`${staged}/${file.name}`, finishChunk(code));
  }
  const missed = probedPackages.filter((name) => !probed.has(name));
  if (missed.length > 0) {
    throw new Error(`the Node-global probes of ${missed.join(", ")} changed: see _node_globals.ts`);
  }
  await bundleStart(start, staged, work);
  await eagerProgram(staged, work);
  const help = await programHelp(`${staged}/start.js`, work);
  await Deno.remove(chunks, { recursive: true }).catch(() => {});
  await Deno.rename(staged, chunks);
  await Deno.writeTextFile(output, entryFile(basename(chunks), commit, otherCommands(own), help));
  await Deno.chmod(output, 0o755).catch(() => {}); // no modes on Windows
}

if (import.meta.main) {
  const flags = parseBuildFlags(Deno.args, true);
  const output = flags.output ?? `${distDir}/h3.js`;
  const library = `${dirname(output)}/mod.js`;
  const commit = await buildCommit();
  const work = `${dirname(output)}/.h3-build-${Deno.pid}`;
  try {
    const own = Object.keys(startCommands).map((words) => words.split(" "));
    await bundleProgram(
      await writeEntry(flags.plugins, commit, work),
      await writeStartEntry(flags.plugins, commit, work, own),
      output,
      work,
      commit,
      own,
    );
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
  await deno(["bundle", "--quiet", "--platform", "deno", "--output", library, `${root}/mod.ts`]);
  console.log(
    `Bundled ${output} (code in ${chunksDir(output)}/) and ${library} (commit ${commit})`,
  );
}
