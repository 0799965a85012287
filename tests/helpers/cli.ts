/**
 * Runs h3 as a user does: a separate process, from source (`main.ts`) or, with `H3_TEST_BUNDLE`
 * set to a path, from the bundle. Each test gets its own HELM_HOME and DOCKER_CONFIG.
 * @module
 */

const root = new URL("../../", import.meta.url).pathname;

/** What one h3 run printed and returned. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options for one run. */
export interface RunOptions {
  env?: Record<string, string>;
  cwd?: string;
  stdin?: string;
  /** The program to run instead of `h3Entry()`, e.g. a bundle a test built. */
  entry?: string;
  /** A program (and its arguments) to run deno under, e.g. `["/usr/bin/time", "-f", "%M"]`. */
  wrapper?: string[];
}

/** The program a test runs: the bundle when `H3_TEST_BUNDLE` names one, else `main.ts`. */
export function h3Entry(): string {
  return Deno.env.get("H3_TEST_BUNDLE") || `${root}main.ts`;
}

/**
 * Deno's cache as the test runner sees it. Sandboxes set HOME, which would otherwise move Deno's
 * cache into the sandbox: every run would then download its npm packages again.
 */
export const denoDir: string = Deno.env.get("DENO_DIR") ||
  (Deno.build.os === "darwin"
    ? `${Deno.env.get("HOME")}/Library/Caches/deno`
    : `${Deno.env.get("XDG_CACHE_HOME") || `${Deno.env.get("HOME")}/.cache`}/deno`);

/** The process `h3 ...args` runs as, for tests that need it running (to kill it, say). */
export function h3Command(args: string[], options: RunOptions = {}): Deno.Command {
  const deno = [Deno.execPath(), "run", "-A", "--quiet", options.entry ?? h3Entry(), ...args];
  const [program, ...rest] = [...(options.wrapper ?? []), ...deno];
  return new Deno.Command(program, {
    args: rest,
    cwd: options.cwd,
    env: { NO_COLOR: "1", DENO_DIR: denoDir, ...options.env },
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  });
}

/** Runs `h3 ...args` and collects its output. */
export function runH3(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return runCommand(h3Command(args, options), options.stdin);
}

/**
 * Spawns `command` (made with stdin piped when `stdin` is given, stdout and stderr piped), writes
 * `stdin` to it, and collects its exit code and output.
 */
export async function runCommand(command: Deno.Command, stdin?: string): Promise<RunResult> {
  const child = command.spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const out = await child.output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** A fresh temporary world for one test: HELM_HOME, DOCKER_CONFIG and a work dir. */
export interface Sandbox {
  dir: string;
  helmHome: string;
  env: Record<string, string>;
  /** Runs h3 inside this sandbox (cwd = `dir` unless given). */
  run(args: string[], options?: RunOptions): Promise<RunResult>;
  /** Removes everything the sandbox wrote. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Makes a sandbox; use with `await using`. */
export async function sandbox(): Promise<Sandbox> {
  const dir = await Deno.makeTempDir({ prefix: "h3-test-" });
  const helmHome = `${dir}/helm`;
  const env = { HELM_HOME: helmHome, DOCKER_CONFIG: `${dir}/docker`, HOME: dir };
  return {
    dir,
    helmHome,
    env,
    run: (args, options = {}) =>
      runH3(args, { cwd: dir, ...options, env: { ...env, ...options.env } }),
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** Throws with the whole output when a run did not exit as expected; returns it otherwise. */
export function expectCode(result: RunResult, code: number): RunResult {
  if (result.code !== code) {
    throw new Error(
      `expected exit ${code}, got ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`,
    );
  }
  return result;
}

/** Runs skopeo with `args`, failing with its stderr unless it succeeds; returns its stdout. */
export async function skopeo(...args: string[]): Promise<string> {
  const out = await new Deno.Command("skopeo", { args, stdout: "piped", stderr: "piped" })
    .output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  if (out.code !== 0) throw new Error(`skopeo ${args.join(" ")}: ${decode(out.stderr)}`);
  return decode(out.stdout);
}
