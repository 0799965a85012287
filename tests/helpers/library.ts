/**
 * Running h3 as a library: a `deno run` script that imports h3's `mod.ts`, in a sandbox folder,
 * with h3's config (its import map) and the sandbox's environment.
 */

const root = new URL("../../", import.meta.url).pathname;

/** h3's `mod.ts`, for a script's `import * as h3 from "..."`. */
export const modPath: string = `${root}mod.ts`;

/**
 * Writes `code` to `dir/script.ts` and runs it with `env`; its stdout, once it exits 0 (else the
 * assertion names its stderr).
 */
export async function runScript(
  dir: string,
  code: string,
  env: Record<string, string>,
): Promise<string> {
  await Deno.writeTextFile(`${dir}/script.ts`, code);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", "--config", `${root}deno.json`, "script.ts"],
    cwd: dir,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  if (out.code !== 0) {
    throw new Error(`script exited ${out.code}:\n${decoder.decode(out.stderr)}`);
  }
  return decoder.decode(out.stdout);
}
