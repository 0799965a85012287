/**
 * `deno task bundle [--plugin PATH]... [--output FILE]`: builds `dist/h3.js`, which runs with a
 * bare `deno run -A dist/h3.js` from any directory, with the shipped plugins and the chosen ones
 * baked in, and its code beside it in `dist/h3.chunks/`; and `mod.js`, the library (`mod.ts`) as
 * one file that `deno run` scripts import without h3's checkout or config.
 *
 * The program is split into chunks (`deno bundle --code-splitting`) so that a start reads only
 * what it runs: `h3 --version` a few KiB, a command its own code and what it shares; openpgp, the
 * Sigstore libraries and the like only in the commands that use them. Deno reads and checks every
 * file of a start path at every start (~15 ms a MiB here), so the chunks are minified too.
 * @module
 */
import { basename, dirname } from "node:path";
import { buildCommit, deno, distDir, parseBuildFlags, root, writeEntry } from "./_build.ts";
import { finishChunk } from "./_chunks.ts";
import { probedPackages, withoutNodeProbes } from "./_node_globals.ts";

/** The folder of a bundle's chunks: `h3.chunks/` beside `h3.js`. */
function chunksDir(output: string): string {
  return `${dirname(output)}/${basename(output, ".js")}.chunks`;
}

/**
 * Builds the program into `output` and its chunks folder, replacing an earlier build's chunks (their
 * names carry content hashes, so old ones would pile up).
 */
async function bundleProgram(entry: string, output: string, work: string): Promise<void> {
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
  await Deno.remove(chunks, { recursive: true }).catch(() => {});
  await Deno.rename(staged, chunks);
  const start = `./${basename(chunks)}/${basename(entry, ".ts")}.js`;
  await Deno.writeTextFile(
    output,
    `#!/usr/bin/env -S deno run -A\n// h3: its code is in ${
      basename(chunks)
    }/ beside this file.\n` +
      `import ${JSON.stringify(start)};\n`,
  );
  await Deno.chmod(output, 0o755).catch(() => {}); // no modes on Windows
}

if (import.meta.main) {
  const flags = parseBuildFlags(Deno.args, true);
  const output = flags.output ?? `${distDir}/h3.js`;
  const library = `${dirname(output)}/mod.js`;
  const commit = await buildCommit();
  const work = `${dirname(output)}/.h3-build-${Deno.pid}`;
  try {
    await bundleProgram(await writeEntry(flags.plugins, commit, work), output, work);
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
  await deno(["bundle", "--quiet", "--platform", "deno", "--output", library, `${root}/mod.ts`]);
  console.log(
    `Bundled ${output} (code in ${chunksDir(output)}/) and ${library} (commit ${commit})`,
  );
}
