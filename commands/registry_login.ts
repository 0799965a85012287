/**
 * `h3 registry login HOST`: checks a username and password against the registry (GET /v2/ with
 * the full auth flow), then stores them as Docker does (its credential helper when one is set).
 * @module
 */
import { define } from "gunshi";
import { registryHost } from "../core/auth/docker_config.ts";
import { checkLogin } from "../core/auth/login.ts";
import { saveLogin } from "../core/auth/store.ts";
import { transportSettings } from "../core/config.ts";
import { rememberRegistrySettings } from "../core/config_write.ts";
import { UsageError } from "../core/errors.ts";
import { askTerminal } from "./_prompt.ts";
import { debugEnabled, readStdin, transportArgs, transportFlags } from "./_transport_flags.ts";
import { reportArgs, reporter } from "./_output.ts";
import { printError } from "./ui/safe_text.ts";

/** The transport flags that make sense for one login: TLS and scheme, not `--concurrency`. */
const {
  concurrency: _,
  username: _username,
  password: _password,
  "password-stdin": _stdin,
  ...tlsArgs
} = transportArgs;

const hostPattern = /^(?:[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?$/i;

/** The registry host a HOST argument names: `oci://`, a scheme and any path are dropped. */
function hostArgument(value: string): string {
  const host = registryHost(value);
  if (!hostPattern.test(host)) throw new UsageError(`invalid registry host "${value}"`);
  return host;
}

/** Asks on the terminal; a `UsageError` saying which flag to use when stdin is not one. */
function ask(question: string, hidden: boolean, flag: string): Promise<string> {
  if (!Deno.stdin.isTerminal()) {
    throw new UsageError(`${flag} is required when stdin is not a terminal`);
  }
  return askTerminal(question, { hidden, cancelled: () => new UsageError("login cancelled") });
}

export default define({
  name: "login",
  description: "Log in to a registry",
  args: {
    host: { type: "positional", description: "The registry host[:port]" },
    username: { type: "string", short: "u", description: "Username (asked for on a terminal)" },
    password: {
      type: "string",
      short: "p",
      description: "Password (insecure: visible to other users; prefer --password-stdin)",
    },
    "password-stdin": { type: "boolean", description: "Read the password from stdin" },
    ...tlsArgs,
    ...reportArgs,
  },
  examples: [
    "# asks for username and password",
    "$ h3 registry login localhost:5000",
    "",
    "# for scripts: the password from stdin",
    '$ echo "$REGISTRY_PASSWORD" | h3 registry login charts.example.com -u ci --password-stdin',
    "",
    "# a registry with a private CA (remembered for this host in h3's config)",
    "$ h3 registry login charts.internal:5000 -u me --ca-file ca.pem",
  ].join("\n"),
  run: async (ctx) => {
    const v = ctx.values;
    const out = reporter(v);
    const host = hostArgument(v.host);
    let username = v.username;
    let password = v.password;
    if (password !== undefined && v["password-stdin"]) {
      throw new UsageError("--password and --password-stdin cannot be used together");
    }
    if (password !== undefined) {
      printError("WARNING! Using --password via the CLI is insecure. Use --password-stdin.");
    }
    if (v["password-stdin"]) {
      if (!username) throw new UsageError("--password-stdin needs --username");
      password = await readStdin();
    }
    username ||= await ask("Username: ", false, "--username");
    password ??= await ask("Password: ", true, "--password-stdin");
    if (!username) throw new UsageError("the username is empty");
    if (!password) throw new UsageError("the password is empty");

    const tlsFlags = { ...v, username: undefined, password: undefined, "password-stdin": false };
    const settings = await transportSettings(host, transportFlags(tlsFlags));
    const debug = debugEnabled() ? (line: string) => printError(line) : undefined;
    await checkLogin(host, { username, password }, { ...settings, debug });
    const saved = await saveLogin(host, username, password);
    if ("file" in saved) {
      printError(`WARNING! Your password will be stored unencrypted in ${saved.file}.`);
    }
    // TLS files that worked are remembered, so later commands for this host need no flags.
    const { caFile, certFile, keyFile } = transportFlags(tlsFlags);
    await rememberRegistrySettings(host, { caFile, certFile, keyFile });
    out.print("Login succeeded");
    out.result({ registry: host, username, status: "logged-in", ...saved });
  },
});
