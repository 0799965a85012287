/**
 * The credential-process plugin's configuration, `$HELM_HOME/credential-process.yaml` (or
 * `$H3_CREDENTIAL_PROCESS_CONFIG`): which command gives credentials for which registry hosts.
 * @module
 */
/** What the command prints on stdout. */
export type OutputKind = "password" | "identity-token" | "registry-token";

/** One `registries` entry. */
export interface ProcessRule {
  /** Host pattern: `*` stands for any run of characters other than `.` and `:`. */
  host: string;
  /** Program and arguments (a string is split on spaces; no shell). */
  command: string[];
  /** Username sent with a password. */
  username?: string;
  output: OutputKind;
  /** How long the output is reused, in milliseconds (0: run the command every time). */
  lifetimeMs: number;
  /** How long the command may run, in milliseconds. */
  timeoutMs: number;
}

const outputs = new Set<OutputKind>(["password", "identity-token", "registry-token"]);

/** The config file's path. */
export function configPath(helmHome: string): string {
  return Deno.env.get("H3_CREDENTIAL_PROCESS_CONFIG") || `${helmHome}/credential-process.yaml`;
}

/** Reads the rules; none when the file does not exist. Errors name the file and the entry. */
export async function readRules(path: string): Promise<ProcessRule[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  // The YAML parser (a tenth of a registry command's code) is loaded only for a file to parse:
  // every command that asks for credentials asks this plugin, and most users have no such file.
  const { parse } = await import("yaml");
  let data: { registries?: unknown };
  try {
    data = (parse(text) ?? {}) as { registries?: unknown };
  } catch (error) {
    throw new Error(`${path} is not valid YAML: ${(error as Error).message.split("\n")[0]}`);
  }
  if (!Array.isArray(data.registries)) throw new Error(`${path}: "registries" must be a list`);
  return data.registries.map((entry, i) => toRule(entry, `${path}: registries[${i}]`));
}

function toRule(entry: Record<string, unknown>, where: string): ProcessRule {
  if (typeof entry?.host !== "string" || entry.host === "") {
    throw new Error(`${where}: "host" is missing`);
  }
  const command = typeof entry.command === "string"
    ? entry.command.split(" ").filter((p) => p !== "")
    : entry.command;
  if (
    !Array.isArray(command) || command.length === 0 ||
    !command.every((c) => typeof c === "string" && c !== "")
  ) {
    throw new Error(`${where}: "command" must be a command line or a list of words`);
  }
  const output = (entry.output ?? "password") as OutputKind;
  if (!outputs.has(output)) {
    throw new Error(`${where}: "output" must be password, identity-token or registry-token`);
  }
  if (output === "password" && typeof entry.username !== "string") {
    throw new Error(`${where}: "username" is needed when the output is a password`);
  }
  return {
    host: entry.host,
    command,
    username: entry.username as string | undefined,
    output,
    lifetimeMs: duration(entry.lifetime ?? "5m", `${where}: "lifetime"`),
    timeoutMs: duration(entry.timeout ?? "60s", `${where}: "timeout"`),
  };
}

/** Milliseconds in `1h30m`, `50m`, `30s`, or a number of seconds. */
export function duration(value: unknown, where: string): number {
  if (typeof value === "number" && value >= 0) return value * 1000;
  const text = String(value);
  if (!/^(\d+[hms])+$/.test(text) && text !== "0") {
    throw new Error(`${where} must be a duration such as 11h, 50m, 30s or 0, not "${text}"`);
  }
  const unit = { h: 3_600_000, m: 60_000, s: 1000 } as const;
  let ms = 0;
  for (const [, n, u] of text.matchAll(/(\d+)([hms])/g)) ms += Number(n) * unit[u as "h"];
  return ms;
}

/** The first rule whose host pattern matches `registry` (a pattern without a port ignores it). */
export function findRule(rules: ProcessRule[], registry: string): ProcessRule | undefined {
  return rules.find((rule) => {
    const subject = rule.host.includes(":") ? registry : registry.replace(/:\d+$/, "");
    const pattern = rule.host.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"));
    return new RegExp(`^${pattern.join("[^.:]*")}$`, "i").test(subject);
  });
}
