/**
 * `deno task compile [--plugin PATH]...`: builds `dist/h3-<target>` for every release target, with
 * the shipped plugins and the chosen ones baked in, and `dist/SHA256SUMS`. `deno compile` fetches
 * each target's runtime from the internet the first time.
 * @module
 */
import { createHash } from "node:crypto";
import { buildCommit, deno, distDir, parseBuildFlags, writeEntry } from "./_build.ts";

/** The targets released as binaries. */
export const targets: string[] = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
];

async function sha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of (await Deno.open(path)).readable) hash.update(chunk);
  return hash.digest("hex");
}

if (import.meta.main) {
  const { plugins } = parseBuildFlags(Deno.args, false);
  const commit = await buildCommit();
  const work = `${distDir}/.h3-build-${Deno.pid}`;
  const sums: string[] = [];
  try {
    const entry = await writeEntry(plugins, commit, work);
    for (const target of targets) {
      const output = `${distDir}/h3-${target}`;
      await deno(["compile", "--quiet", "-A", "--target", target, "--output", output, entry]);
      const file = target.includes("windows") ? `${output}.exe` : output;
      const name = file.slice(distDir.length + 1);
      sums.push(`${await sha256(file)}  ${name}`);
      console.log(`Compiled ${name}`);
    }
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
  await Deno.writeTextFile(`${distDir}/SHA256SUMS`, sums.join("\n") + "\n");
  console.log(`Wrote dist/SHA256SUMS (commit ${commit})`);
}
