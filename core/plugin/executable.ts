/**
 * Executable plugins in Helm 3's format: a directory with `plugin.yaml` naming a command (or one
 * per platform) that `h3 NAME ARGS...` runs with the plugin's environment, exit code passed on.
 * @module
 */
import { parse } from "yaml";
import { firstLine, PluginError } from "../errors.ts";
import { helmHome, pluginsDir } from "../paths.ts";
import { checkVersion } from "./validate.ts";

/** `plugin.yaml`'s fields as Helm 3 reads them. */
export interface ExecutableMetadata {
  name: string;
  version: string;
  usage?: string;
  description?: string;
  command?: string;
  platformCommand?: { os?: string; arch?: string; command?: string; args?: string[] }[];
  ignoreFlags?: boolean;
}

/** Helm's rule for plugin names. */
const helmNamePattern = /^[A-Za-z0-9_-]+$/;

/** Reads and checks `DIR/plugin.yaml`. */
export async function readExecutable(dir: string): Promise<ExecutableMetadata> {
  const file = `${dir}/plugin.yaml`;
  let data: unknown;
  try {
    data = parse(await Deno.readTextFile(file));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new PluginError(`${file} does not exist`);
    throw new PluginError(`${file} is not valid YAML: ${firstLine(error)}`);
  }
  const m = data as Partial<ExecutableMetadata>;
  if (typeof m !== "object" || m === null) throw new PluginError(`${file} is not a YAML mapping`);
  if (typeof m.name !== "string" || m.name === "") {
    throw new PluginError(`plugin ${file} has no name`);
  }
  if (!helmNamePattern.test(m.name)) {
    throw new PluginError(
      `plugin ${file} has an invalid name "${m.name}" (letters, digits, '_' and '-' only)`,
    );
  }
  checkVersion(m.version, `"${m.name}" (${file})`);
  if (!m.command && !(m.platformCommand?.length)) {
    throw new PluginError(`plugin "${m.name}" (${file}) has no command and no platformCommand`);
  }
  return m as ExecutableMetadata;
}

const goOs: Record<string, string> = { darwin: "darwin", linux: "linux", windows: "windows" };
const goArch: Record<string, string> = { x86_64: "amd64", aarch64: "arm64" };

/**
 * The program and arguments to run, as Helm 3 picks them: a platformCommand matching OS and arch,
 * else one matching the OS, else `command`; `$VARS` expanded from `env`; user args appended
 * unless `ignoreFlags`.
 */
export function prepareCommand(
  meta: ExecutableMetadata,
  args: string[],
  env: Record<string, string>,
  platform: { os: string; arch: string } = Deno.build,
): string[] {
  const os = goOs[platform.os] ?? platform.os;
  const arch = goArch[platform.arch] ?? platform.arch;
  const same = (a: string | undefined, b: string) => a?.toLowerCase() === b;
  const platformCommands = meta.platformCommand ?? [];
  const chosen = platformCommands.find((c) => same(c.os, os) && same(c.arch, arch)) ??
    platformCommands.find((c) => same(c.os, os) && !c.arch);
  const expand = (s: string) =>
    s.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a, b) => env[a ?? b] ?? Deno.env.get(a ?? b) ?? "");
  let parts: string[];
  if (chosen?.command) {
    parts = chosen.args
      ? [expand(chosen.command), ...chosen.args.map(expand)]
      : expand(chosen.command).split(" ");
  } else {
    parts = expand(meta.command ?? "").split(" ");
  }
  parts = parts.filter((p) => p !== "");
  if (parts.length === 0) {
    throw new PluginError(`plugin "${meta.name}": no command applies to ${os}/${arch}`);
  }
  return meta.ignoreFlags ? parts : [...parts, ...args];
}

/** The environment an executable plugin runs with: Helm's variables and h3's `H3_*` ones. */
export function pluginEnv(name: string, dir: string, bin: string): Record<string, string> {
  const vars = {
    PLUGIN_NAME: name,
    PLUGIN_DIR: dir,
    HOME: helmHome(),
    PLUGINS: pluginsDir(),
    BIN: bin,
  };
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(vars)) {
    env[`HELM_${key}`] = value;
    env[`H3_${key}`] = value;
  }
  return env;
}

/**
 * How a plugin calls h3 back: the binary itself when compiled, else `deno run -A` with this
 * program (a command line, so `$HELM_BIN chart list` works unquoted in a shell script).
 */
export async function h3Bin(): Promise<string> {
  if (Deno.build.standalone) return Deno.execPath();
  const main = Deno.mainModule;
  if (!main.startsWith("file:")) return `${Deno.execPath()} run -A ${main}`;
  const { fileURLToPath } = await import("node:url"); // loaded on use: slow to load at start
  return `${Deno.execPath()} run -A ${fileURLToPath(main)}`;
}

/** Runs the executable plugin in `dir` with `args`; resolves to its exit code. */
export async function runExecutable(dir: string, args: string[]): Promise<number> {
  const meta = await readExecutable(dir);
  const env = pluginEnv(meta.name, dir, await h3Bin());
  const [program, ...rest] = prepareCommand(meta, args, env);
  try {
    const status = await new Deno.Command(program, {
      args: rest,
      env,
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn().status;
    return status.code; // 128 + N when a signal ended it, as a shell reports it
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new PluginError(`plugin "${meta.name}": cannot run "${program}": not found`);
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      throw new PluginError(`plugin "${meta.name}": cannot run "${program}": not executable`);
    }
    throw error;
  }
}
