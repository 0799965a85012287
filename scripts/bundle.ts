/**
 * `deno task bundle [--plugin PATH]... [--output FILE]`: builds `dist/h3.js`, one file that runs
 * with a bare `deno run -A dist/h3.js` from any directory, with the shipped plugins and the chosen
 * ones baked in; and beside it `mod.js`, the library (`mod.ts`) as one file that `deno run`
 * scripts import without h3's checkout or config.
 * @module
 */
import { dirname } from "node:path";
import { buildCommit, deno, distDir, parseBuildFlags, root, writeEntry } from "./_build.ts";
import { lazyBuiltins } from "./_lazy_builtins.ts";

if (import.meta.main) {
  const flags = parseBuildFlags(Deno.args, true);
  const output = flags.output ?? `${distDir}/h3.js`;
  const library = `${dirname(output)}/mod.js`;
  const commit = await buildCommit();
  const work = `${dirname(output)}/.h3-build-${Deno.pid}`;
  try {
    const entry = await writeEntry(flags.plugins, commit, work);
    const bundled = `${work}/bundled.js`;
    await deno(["bundle", "--quiet", "--platform", "deno", "--output", bundled, entry]);
    await Deno.writeTextFile(bundled, lazyBuiltins(await Deno.readTextFile(bundled)));
    // Minified, as Deno reads and checks the whole file at every start (~15 ms a MiB here).
    await deno([
      "bundle",
      "--quiet",
      "--platform",
      "deno",
      "--minify",
      "--output",
      output,
      bundled,
    ]);
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
  const code = await Deno.readTextFile(output);
  await Deno.writeTextFile(output, `#!/usr/bin/env -S deno run -A\n${code}`);
  await Deno.chmod(output, 0o755).catch(() => {}); // no modes on Windows
  await deno(["bundle", "--quiet", "--platform", "deno", "--output", library, `${root}/mod.ts`]);
  console.log(`Bundled ${output} and ${library} (commit ${commit})`);
}
