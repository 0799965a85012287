/**
 * The credential-process plugin: registry credentials from a command users already have, e.g.
 * `aws ecr get-login-password`, `gcloud auth print-access-token` or
 * `az acr login --expose-token --output tsv --query accessToken`. Per registry host pattern (in
 * `$HELM_HOME/credential-process.yaml`) it runs the command, takes its stdout as the password (with
 * the configured username) or as a token, and caches it for the configured lifetime. The command's
 * output is never printed; when it fails, its exit code and stderr are.
 *
 * ```yaml
 * registries:
 *   - host: "*.dkr.ecr.*.amazonaws.com"
 *     command: aws ecr get-login-password --region eu-west-1
 *     username: AWS
 *     lifetime: 11h
 * ```
 * @module
 */
import { cached, cachePath, remember } from "./_cache.ts";
import { configPath, findRule, type ProcessRule, readRules } from "./_config.ts";

interface Credential {
  username?: string;
  password?: string;
  identityToken?: string;
  registryToken?: string;
}

/** Runs the rule's command for `registry` and returns what it printed, trimmed. */
async function runCommand(rule: ProcessRule, registry: string): Promise<string> {
  const [program, ...args] = rule.command;
  const shown = `"${rule.command.join(" ")}" for ${registry}`;
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(program, {
      args,
      env: { H3_REGISTRY: registry },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(rule.timeoutMs),
    }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(`cannot run ${shown}: "${program}" not found`);
    }
    if ((error as Error).name === "TimeoutError") {
      throw new Error(`command ${shown} took longer than ${rule.timeoutMs / 1000}s`);
    }
    throw new Error(`cannot run ${shown}: ${(error as Error).message}`);
  }
  if (!output.success) {
    const stderr = new TextDecoder().decode(output.stderr).split("\n").map((l) => l.trim())
      .filter((l) => l !== "").join("; ").slice(0, 500);
    const how = output.signal
      ? `was killed by ${output.signal}`
      : `exited with code ${output.code}`;
    throw new Error(`command ${shown} ${how}${stderr ? `: ${stderr}` : ""}`);
  }
  const secret = new TextDecoder().decode(output.stdout).trim();
  if (secret === "") throw new Error(`command ${shown} printed nothing on stdout`);
  return secret;
}

function credential(rule: ProcessRule, secret: string): Credential {
  if (rule.output === "identity-token") return { username: rule.username, identityToken: secret };
  if (rule.output === "registry-token") return { registryToken: secret };
  return { username: rule.username, password: secret };
}

export default {
  name: "credential-process",
  version: "1.0.0",
  description: "Registry credentials from a command you already use (aws, gcloud, az)",
  async credentials(
    registry: string,
    { config }: { config: { helmHome: string } },
  ): Promise<Credential | undefined> {
    const rule = findRule(await readRules(configPath(config.helmHome)), registry);
    if (!rule) return undefined;
    const cache = cachePath(config.helmHome);
    const key = [registry, rule.output, rule.username ?? "", ...rule.command].join("\u0000");
    let secret = rule.lifetimeMs > 0 ? await cached(cache, key) : undefined;
    if (secret === undefined) {
      secret = await runCommand(rule, registry);
      if (rule.lifetimeMs > 0) await remember(cache, key, secret, rule.lifetimeMs);
    }
    return credential(rule, secret);
  },
};
