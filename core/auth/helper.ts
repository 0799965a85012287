/**
 * Docker credential helpers: `docker-credential-NAME get|store|erase` run with JSON on stdin and
 * stdout (the docker-credential-helpers protocol). Secrets pass through pipes only, never argv.
 * @module
 */
import { AuthError, firstLine } from "../errors.ts";
import type { Credential } from "./types.ts";

/** The username a helper returns when its secret is an identity token rather than a password. */
const identityTokenUser = "<token>";

/** Runs one helper action; resolves with stdout, or undefined when the helper has no credentials. */
async function run(
  name: string,
  action: "get" | "store" | "erase",
  input: string,
  secrets: string[] = [],
): Promise<string | undefined> {
  const program = `docker-credential-${name}`;
  let output: Deno.CommandOutput;
  try {
    const child = new Deno.Command(program, {
      args: [action],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(input));
    await writer.close();
    output = await child.output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new AuthError(`credential helper ${program} not found on PATH`);
    }
    throw new AuthError(`cannot run credential helper ${program}: ${(error as Error).message}`);
  }
  const decoder = new TextDecoder();
  const stdout = decoder.decode(output.stdout).trim();
  if (output.success) return stdout;
  if (/credentials not found/i.test(stdout)) return undefined;
  let detail = stdout || decoder.decode(output.stderr).trim() || `exit code ${output.code}`;
  for (const secret of secrets) if (secret) detail = detail.replaceAll(secret, "***");
  throw new AuthError(`credential helper ${program} ${action} failed: ${firstLine(detail)}`);
}

/** Asks helper `name` for the credentials of `serverURL`; undefined when it has none. */
export async function helperGet(name: string, serverURL: string): Promise<Credential | undefined> {
  const stdout = await run(name, "get", serverURL);
  if (stdout === undefined || stdout === "") return undefined;
  let reply: { Username?: unknown; Secret?: unknown };
  try {
    reply = JSON.parse(stdout);
  } catch {
    throw new AuthError(`credential helper docker-credential-${name} get returned malformed JSON`);
  }
  const username = typeof reply.Username === "string" ? reply.Username : "";
  const secret = typeof reply.Secret === "string" ? reply.Secret : "";
  if (secret === "") return undefined;
  if (username === identityTokenUser) return { identityToken: secret };
  return { username, password: secret };
}

/** Stores a username and password for `serverURL` in helper `name`. */
export async function helperStore(
  name: string,
  serverURL: string,
  username: string,
  secret: string,
): Promise<void> {
  const input = JSON.stringify({ ServerURL: serverURL, Username: username, Secret: secret });
  await run(name, "store", input, [secret]);
}

/** Removes the credentials of `serverURL` from helper `name`. */
export async function helperErase(name: string, serverURL: string): Promise<void> {
  await run(name, "erase", serverURL);
}
