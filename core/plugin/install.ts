/**
 * Adding and removing plugins. A plugin is copied (or downloaded) into a staging directory,
 * loaded and checked there, and only then moved into place and written to the manifest, so a bad
 * plugin is refused with nothing left behind.
 * @module
 */
import { readAll } from "../digest.ts";
import { PluginError } from "../errors.ts";
import { pluginsDir } from "../paths.ts";
import { replaceDir, tempName } from "../write_file.ts";
import { networkError } from "../transport/http.ts";
import { isLoopbackHost } from "../transport/proxy.ts";
import { bakedPlugins } from "./baked.ts";
import { readExecutable } from "./executable.ts";
import { type PluginInfo, updateInstalled } from "./installed.ts";
import { entrySpecifier, fileSha256, importPlugin } from "./load.ts";
import { typescriptInfo } from "./validate.ts";

const moduleExtensions = [".ts", ".js", ".mts", ".mjs"];
const dirEntries = ["plugin.ts", "plugin.js", "plugin.mts", "plugin.mjs"];

/** Largest plugin module downloaded. */
const maxDownload = 16 * 1024 * 1024;

/** What a module plugin is, shown before any of its code runs. */
export interface PluginReview {
  /** What the user named: a path or URL. */
  source: string;
  /** sha256 (hex) of the module. */
  sha256: string;
  /** The name and version its source declares (read from the text, not run); "?" when unclear. */
  name: string;
  version: string;
}

/** How a plugin is added. */
export interface AddOptions {
  /** Replace an installed plugin of the same name (a new version, or a module that changed). */
  force?: boolean;
  /** Called with what a module plugin is before it is imported (its code runs) for the check. */
  onReview?: (review: PluginReview) => void;
}

/**
 * Adds the plugin at `source` (a path, an https URL, plain http only on loopback, or `npm:SPEC`);
 * `reserved` are built-ins.
 */
export async function addPlugin(
  source: string,
  reserved: string[],
  options: AddOptions = {},
): Promise<PluginInfo> {
  const dir = pluginsDir();
  await Deno.mkdir(dir, { recursive: true });
  const staging = `${dir}/.staging-${tempName()}`;
  try {
    const staged = await stage(source, staging, options);
    return await updateInstalled(async (all) => {
      const replaced = options.force
        ? all.find((p) => p.name === staged.info.name && !bakedPlugins().some((b) => b.info === p))
        : undefined;
      const installed = all.filter((p) => p !== replaced);
      checkClashes(staged.info, installed, reserved);
      if (replaced && !replaced.entry.startsWith("npm:")) {
        await Deno.remove(`${dir}/${replaced.entry.split("/")[0]}`, { recursive: true })
          .catch(() => {});
      }
      if (staged.dir) {
        const target = `${dir}/${staged.info.name}`;
        await replaceDir(staging, target, `${staging}.replaced`);
      }
      return { plugins: [...installed, staged.info], result: staged.info };
    }, dir);
  } finally {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
    await Deno.remove(`${staging}.replaced`, { recursive: true }).catch(() => {});
  }
}

/** Removes an installed plugin and its files; returns what it was. */
export async function removePlugin(name: string): Promise<PluginInfo> {
  const dir = pluginsDir();
  return await updateInstalled(async (installed) => {
    const info = installed.find((p) => p.name === name);
    if (!info) {
      if (bakedPlugins().some((b) => b.info.name === name)) {
        throw new PluginError(`plugin "${name}" is built into this h3 and cannot be removed`);
      }
      throw new PluginError(`plugin "${name}" is not installed`);
    }
    if (!info.entry.startsWith("npm:")) {
      await Deno.remove(`${dir}/${info.entry.split("/")[0]}`, { recursive: true }).catch(() => {});
    }
    return { plugins: installed.filter((p) => p !== info), result: info };
  }, dir);
}

/** A checked plugin waiting to be installed; `dir` when it has files to move into place. */
interface Staged {
  info: PluginInfo;
  dir: boolean;
}

async function stage(source: string, staging: string, options: AddOptions): Promise<Staged> {
  if (source.startsWith("npm:")) {
    const plugin = await importPlugin(source, source);
    return { info: typescriptInfo(plugin, source), dir: false };
  }
  await Deno.mkdir(staging);
  if (/^https?:\/\//.test(source)) {
    const file = `${staging}/${await download(source, staging)}`;
    return await stageModule(file, source, staging, options);
  }
  let stat: Deno.FileInfo;
  try {
    stat = await Deno.stat(source);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new PluginError(`cannot add plugin: ${source} does not exist`);
    }
    throw error;
  }
  if (stat.isFile) {
    const name = basename(source);
    if (!moduleExtensions.some((e) => name.endsWith(e))) {
      throw new PluginError(
        `cannot add plugin ${source}: expected a .ts or .js module, or a directory with plugin.ts or plugin.yaml`,
      );
    }
    await Deno.copyFile(source, `${staging}/${name}`);
    return await stageModule(`${staging}/${name}`, source, staging, options);
  }
  await copyDir(source, staging);
  if (await exists(`${staging}/plugin.yaml`)) {
    const meta = await readExecutable(staging).catch((error) => {
      throw new PluginError(error.message.replaceAll(staging, source));
    });
    const info: PluginInfo = {
      name: meta.name,
      version: meta.version,
      kind: "executable",
      description: meta.description || meta.usage || "",
      commands: [{ name: meta.name, description: meta.usage || meta.description || "" }],
      credentials: false,
      entry: meta.name,
    };
    return { info, dir: true };
  }
  const module = await dirModule(staging);
  if (module) {
    return await stageModule(module, `${source}${module.slice(staging.length)}`, staging, options);
  }
  throw new PluginError(
    `cannot add plugin ${source}: the directory has no plugin.ts or plugin.yaml`,
  );
}

/** The plugin module of a directory (plugin.ts, else plugin.js, ...), if it has one. */
export async function dirModule(dir: string): Promise<string | undefined> {
  for (const name of dirEntries) {
    if (await exists(`${dir}/${name}`)) return `${dir}/${name}`;
  }
  return undefined;
}

/** The value of the first `key: "literal"` in a module's text, or "?" (a review, not a parse). */
function declared(text: string, key: string): string {
  const value = new RegExp(`\\b${key}\\s*:\\s*(["'\`])([^"'\`\\n]{1,200})\\1`).exec(text)?.[2];
  return value ?? "?";
}

async function stageModule(
  file: string,
  source: string,
  staging: string,
  options: AddOptions,
): Promise<Staged> {
  const sha256 = await fileSha256(file);
  const text = await Deno.readTextFile(file);
  const review = {
    source,
    sha256,
    name: declared(text, "name"),
    version: declared(text, "version"),
  };
  options.onReview?.(review);
  const plugin = await importPlugin(await entrySpecifier(file), source);
  const entry = `${plugin.name}/${file.slice(staging.length + 1)}`;
  return { info: { ...typescriptInfo(plugin, entry), sha256 }, dir: true };
}

function checkClashes(info: PluginInfo, installed: PluginInfo[], reserved: string[]): void {
  const others = [...bakedPlugins().map((b) => b.info), ...installed];
  const builtIn = (p: PluginInfo) => bakedPlugins().some((b) => b.info === p);
  for (const other of others) {
    if (other.name === info.name) {
      throw builtIn(other)
        ? new PluginError(`plugin "${info.name}" is built into this h3`)
        : new PluginError(`plugin "${info.name}" is already installed`, {
          remedy: { kind: "removePlugin", plugin: info.name },
        });
    }
  }
  if (reserved.includes(info.name)) {
    throw new PluginError(
      `plugin name "${info.name}" clashes with the built-in command "${info.name}"`,
    );
  }
  for (const command of info.commands) {
    if (reserved.includes(command.name)) {
      throw new PluginError(
        `plugin "${info.name}": command "${command.name}" clashes with a built-in command`,
      );
    }
    const owner = others.find((o) => o.commands.some((c) => c.name === command.name));
    if (owner) {
      throw new PluginError(
        `plugin "${info.name}": command "${command.name}" is already added by plugin "${owner.name}"`,
      );
    }
  }
}

async function download(url: string, staging: string): Promise<string> {
  const name = basename(new URL(url).pathname);
  if (!moduleExtensions.some((e) => name.endsWith(e))) {
    throw new PluginError(`cannot add plugin ${url}: the URL must name a .ts or .js module`);
  }
  checkDownloadUrl(new URL(url), url);
  let response: Response;
  try {
    response = await fetch(url, { redirect: "follow", signal: AbortSignal.timeout(120_000) });
  } catch (error) {
    const { error: reason } = networkError(new URL(url).host, error);
    throw new PluginError(`cannot download plugin ${url}: ${reason.message}`, { cause: error });
  }
  if (response.url) checkDownloadUrl(new URL(response.url), url);
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new PluginError(`cannot download plugin ${url}: HTTP ${response.status}`);
  }
  const bytes = await readAll(response.body, maxDownload).catch((error) => {
    throw new PluginError(`cannot download plugin ${url}: ${(error as Error).message}`);
  });
  await Deno.writeFile(`${staging}/${name}`, bytes, { createNew: true });
  return name;
}

/** Refuses a plugin URL over plain HTTP off loopback (anyone on the way could swap its code). */
function checkDownloadUrl(url: URL, source: string): void {
  if (url.protocol === "https:") return;
  if (url.protocol === "http:" && isLoopbackHost(url.hostname.replace(/^\[|\]$/g, ""))) return;
  throw new PluginError(
    `cannot add plugin ${source}: ${url.protocol === "http:" ? "plain HTTP" : url.protocol} ` +
      `from ${url.host} is refused (its code would run with your permissions); use https`,
  );
}

async function copyDir(from: string, to: string): Promise<void> {
  for await (const entry of Deno.readDir(from)) {
    if (entry.name === ".git") continue;
    const src = `${from}/${entry.name}`;
    const dst = `${to}/${entry.name}`;
    if (entry.isDirectory) {
      await Deno.mkdir(dst);
      await copyDir(src, dst);
    } else {
      await Deno.copyFile(src, dst);
    }
  }
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

function basename(path: string): string {
  return path.replace(/[\\/]+$/, "").split(/[\\/]/).pop() ?? path;
}
