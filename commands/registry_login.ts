/**
 * `h3 registry login HOST`: checks a username and password against the registry (GET /v2/ with
 * the full auth flow), then stores them as Docker does (its credential helper when one is set).
 * @module
 */
import { define } from "./_define.ts";
import { loginHost } from "../core/auth/login.ts";
import { UsageError } from "./_errors.ts";
import { askTerminal } from "./_prompt.ts";
import { openCommandClient, readStdin, transportArgs, transportFlags } from "./_transport_flags.ts";
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
    const host = loginHost(v.host); // checked before anything is asked
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
    await using h3 = await openCommandClient(transportFlags(tlsFlags));
    const { stored } = await h3.login(host, { username, password });
    if ("file" in stored) {
      printError(`WARNING! Your password will be stored unencrypted in ${stored.file}.`);
    }
    out.print("Login succeeded");
    out.result({ registry: host, username, status: "logged-in", ...stored });
  },
});
