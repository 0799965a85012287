/**
 * `h3 registry login/logout`, and `chart push/pull` with what login stored, against real
 * docker-registry variants: htpasswd auth behind TLS with a private CA, and token auth with a test
 * token issuer; credential helpers (a test script and Debian's docker-credential-pass); and no
 * secret in anything h3 printed, `--debug` included.
 * @module
 */
import assert from "node:assert/strict";
import { expectCode, type RunResult, type Sandbox, sandbox } from "../helpers/cli.ts";
import { type StartRegistry, startRegistry, testEachRegistry } from "../helpers/registry.ts";
import { makeTls } from "../helpers/tls.ts";
import { startTokenIssuer } from "../helpers/token_issuer.ts";
import {
  initPassStore,
  installCredentialHelper,
  stopGpgAgent,
} from "../fixtures/credential_helper.ts";

const password = "Tr0ub4dor-login-test";
const wrongPassword = "wrong-login-test-pw";
const identityToken = "refresh-token-login-test";
const secrets = [password, wrongPassword, identityToken, btoa(`alice:${password}`)];

/** Every h3 run of this file, to grep for secrets at the end. */
const outputs: RunResult[] = [];

/** Runs h3 in `sb` and records what it printed. */
async function h3(
  sb: Sandbox,
  args: string[],
  options: { stdin?: string; env?: Record<string, string> } = {},
): Promise<RunResult> {
  const result = await sb.run(args, options);
  outputs.push(result);
  return result;
}

/** Writes a chart directory `name` (version 1.0.0) in the sandbox and saves it as `ref`. */
async function saveChart(sb: Sandbox, name: string, ref: string): Promise<void> {
  await Deno.mkdir(`${sb.dir}/${name}/templates`, { recursive: true });
  await Deno.writeTextFile(
    `${sb.dir}/${name}/Chart.yaml`,
    `apiVersion: v2\nname: ${name}\nversion: 1.0.0\n`,
  );
  expectCode(await h3(sb, ["chart", "save", name, ref]), 0);
}

/** Pulls `ref` into the sandbox's cache (after removing it there) and returns the run. */
async function pull(sb: Sandbox, ref: string, flags: string[] = [], env = {}): Promise<RunResult> {
  await h3(sb, ["chart", "remove", ref]);
  return await h3(sb, ["chart", "pull", ref, ...flags], { env });
}

async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** A sandbox and a registry with htpasswd auth (alice) behind TLS with a private CA. */
async function htpasswdTlsWorld(start: StartRegistry = startRegistry) {
  const tls = await makeTls();
  const sb = await sandbox();
  const out = await new Deno.Command("htpasswd", {
    args: ["-Bbn", "alice", password],
    stdout: "piped",
  }).output();
  await Deno.writeFile(`${sb.dir}/htpasswd`, out.stdout);
  const registry = await start({
    tls: tls.server,
    auth: { htpasswd: { path: `${sb.dir}/htpasswd` } },
  });
  return {
    tls,
    sb,
    host: registry.host,
    configFile: `${sb.env.DOCKER_CONFIG}/config.json`,
    async [Symbol.asyncDispose]() {
      await registry[Symbol.asyncDispose]();
      await sb[Symbol.asyncDispose]();
      await tls[Symbol.asyncDispose]();
    },
  };
}

async function htpasswdTls(start: StartRegistry, t: Deno.TestContext) {
  await using world = await htpasswdTlsWorld(start);
  const { tls, sb, host, configFile } = world;
  const ref = `${host}/private/mychart:1.0.0`;
  const ca = ["--ca-file", tls.ca];
  const login = (args: string[], stdin?: string) =>
    h3(sb, ["registry", "login", host, ...args], { stdin });
  await saveChart(sb, "mychart", ref);

  await t.step(
    "an untrusted certificate without --ca-file is refused; nothing stored",
    async () => {
      const r = expectCode(await login(["-u", "alice", "--password-stdin"], password), 1);
      assert.match(
        r.stderr,
        new RegExp(
          `TLS error talking to ${host}: certificate signed by an unknown authority; .*--ca-file`,
        ),
      );
      assert.equal(await readJson(configFile), undefined);
    },
  );

  await t.step("a wrong password is a clear error; nothing stored", async () => {
    const r = expectCode(await login(["-u", "alice", "--password-stdin", ...ca], wrongPassword), 1);
    assert.equal(r.stderr, `Error: ${host} refused the credentials for logging in as alice\n`);
    assert.equal(r.stdout, "");
    assert.equal(await readJson(configFile), undefined);
  });

  await t.step("without credentials, push is refused with advice to log in", async () => {
    const r = expectCode(await h3(sb, ["chart", "push", ref, ...ca]), 1);
    assert.match(
      r.stderr,
      new RegExp(`authentication required by ${host}; log in with "h3 registry login ${host}"`),
    );
  });

  await t.step("login checks, stores (0600) and says so; -p warns it is insecure", async () => {
    const r = expectCode(await login(["-u", "alice", "-p", password, ...ca]), 0);
    assert.equal(r.stdout, "Login succeeded\n");
    assert.equal(
      r.stderr,
      "WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n" +
        `WARNING! Your password will be stored unencrypted in ${configFile}.\n`,
    );
    assert.deepEqual(await readJson(configFile), {
      auths: { [host]: { auth: btoa(`alice:${password}`) } },
    });
    assert.equal((await Deno.stat(configFile)).mode! & 0o777, 0o600);
  });

  await t.step("push and pull use what login stored; --debug shows no secret", async () => {
    const pushed = expectCode(await h3(sb, ["chart", "push", ref, ...ca, "--debug"]), 0);
    assert.match(pushed.stdout, /1\.0\.0: pushed to remote \(2 layers, /);
    assert.match(pushed.stderr, /\(Authorization: \*\*\*\)/);
    const pulled = expectCode(await pull(sb, ref, ca), 0);
    assert.match(pulled.stdout, new RegExp(`Status: Downloaded newer chart for ${ref}`));
  });

  await t.step("--password-stdin is read to its end, without the line break", async () => {
    const r = expectCode(
      await login(["-u", "alice", "--password-stdin", ...ca], password + "\n"),
      0,
    );
    assert.equal(r.stdout, "Login succeeded\n");
  });

  await t.step("without a terminal, a missing username or password is a usage error", async () => {
    const noUser = expectCode(await login(ca), 2);
    assert.equal(noUser.stderr, "Error: --username is required when stdin is not a terminal\n");
    const noPass = expectCode(await login(["-u", "alice", ...ca]), 2);
    assert.equal(
      noPass.stderr,
      "Error: --password-stdin is required when stdin is not a terminal\n",
    );
    const both = expectCode(await login(["-u", "a", "-p", "b", "--password-stdin"], "c"), 2);
    assert.match(both.stderr, /--password and --password-stdin cannot be used together/);
  });

  await t.step("logout removes the credentials; a second logout says not logged in", async () => {
    const r = expectCode(await h3(sb, ["registry", "logout", host]), 0);
    assert.equal(r.stdout, `Removing login credentials for ${host}\n`);
    assert.deepEqual(await readJson(configFile), { auths: {} });
    expectCode(await pull(sb, ref, ca), 1);
    const again = expectCode(await h3(sb, ["registry", "logout", host]), 1);
    assert.equal(again.stderr, `Error: not logged in to ${host}\n`);
  });

  await t.step(
    "on a terminal, username and password are asked for; the password is not echoed",
    async () => {
      const command = [
        Deno.execPath(),
        "run",
        "-A",
        "--quiet",
        new URL("../../main.ts", import.meta.url).pathname,
        "registry",
        "login",
        host,
        ...ca,
      ]
        .map((a) => `'${a}'`).join(" ");
      // `script` gives h3 a pseudo-terminal; the answers are typed once the prompts appear.
      const child = new Deno.Command("script", {
        args: ["-qec", command, "/dev/null"],
        env: { ...sb.env, NO_COLOR: "1" },
        cwd: sb.dir,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const writer = child.stdin.getWriter();
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let screen = "";
      const waitFor = async (text: string) => {
        while (!screen.includes(text)) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`h3 ended before "${text}":\n${screen}`);
          screen += value;
        }
      };
      await waitFor("Username: ");
      await writer.write(new TextEncoder().encode("alice\r"));
      await waitFor("Password: ");
      await writer.write(new TextEncoder().encode(`${password}\r`));
      await waitFor("Login succeeded");
      await writer.close();
      for (let r = await reader.read(); !r.done; r = await reader.read()) screen += r.value;
      const status = await child.status;
      outputs.push({ code: status.code, stdout: screen, stderr: "" });
      assert.equal(status.code, 0, screen);
      assert.ok(screen.includes("alice"), "the username is echoed");
      assert.ok(!screen.includes(password), "the password is not echoed");
      assert.deepEqual(await readJson(configFile), {
        auths: { [host]: { auth: btoa(`alice:${password}`) } },
      });
    },
  );
}
testEachRegistry(
  "login/logout, push and pull against htpasswd auth behind TLS with a private CA",
  htpasswdTls,
);

Deno.test("with a credential helper configured, login stores through it, never in plain text", async (t) => {
  await using world = await htpasswdTlsWorld();
  const { tls, sb, host, configFile } = world;
  const ca = ["--ca-file", tls.ca];
  const ref = `${host}/helper/mychart:1.0.0`;
  const store = `${sb.dir}/helper-store.json`;
  await installCredentialHelper(`${sb.dir}/bin`, "h3test", store);
  const env = { PATH: `${sb.dir}/bin:${Deno.env.get("PATH")}` };
  await Deno.mkdir(sb.env.DOCKER_CONFIG);
  await Deno.writeTextFile(
    configFile,
    JSON.stringify({ credsStore: "h3test", currentContext: "x" }),
  );
  await saveChart(sb, "mychart", ref);
  const login = (extraEnv: Record<string, string>) =>
    h3(sb, ["registry", "login", host, "-u", "alice", "--password-stdin", ...ca], {
      stdin: password,
      env: extraEnv,
    });

  await t.step(
    "login stores the password in the helper; the config keeps only a record",
    async () => {
      const r = expectCode(await login(env), 0);
      assert.equal(r.stdout, "Login succeeded\n");
      assert.equal(r.stderr, "", "no plain-text warning");
      assert.deepEqual(await readJson(configFile), {
        credsStore: "h3test",
        currentContext: "x",
        auths: { [host]: {} },
      });
      assert.deepEqual(await readJson(store), { [host]: { Username: "alice", Secret: password } });
    },
  );

  await t.step("push and pull get the credentials from the helper", async () => {
    expectCode(await h3(sb, ["chart", "push", ref, ...ca], { env }), 0);
    expectCode(await pull(sb, ref, ca, env), 0);
    assert.match(await Deno.readTextFile(`${store}.log`), new RegExp(`^get ${host}$`, "m"));
  });

  await t.step("logout erases from the helper", async () => {
    const r = expectCode(await h3(sb, ["registry", "logout", host], { env }), 0);
    assert.equal(r.stdout, `Removing login credentials for ${host}\n`);
    assert.deepEqual(await readJson(store), {});
    assert.deepEqual(await readJson(configFile), {
      credsStore: "h3test",
      currentContext: "x",
      auths: {},
    });
  });

  await t.step("Debian's docker-credential-pass as credHelpers[host]", async (s) => {
    const passEnv = { GNUPGHOME: `${sb.dir}/gnupg`, PASSWORD_STORE_DIR: `${sb.dir}/pass` };
    try {
      if (!await initPassStore(passEnv)) {
        console.log("SKIPPED docker-credential-pass: gpg cannot make a key non-interactively here");
        await s.step({
          name: "docker-credential-pass (skipped: no gpg key)",
          ignore: true,
          fn() {},
        });
        return;
      }
      await Deno.writeTextFile(configFile, JSON.stringify({ credHelpers: { [host]: "pass" } }));
      const r = expectCode(await login(passEnv), 0);
      assert.equal(r.stdout, "Login succeeded\n");
      const config = await Deno.readTextFile(configFile);
      assert.ok(!config.includes(btoa(`alice:${password}`)) && !config.includes(password));
      expectCode(await pull(sb, ref, ca, passEnv), 0);
      expectCode(await h3(sb, ["registry", "logout", host], { env: passEnv }), 0);
      expectCode(await pull(sb, ref, ca, passEnv), 1);
      expectCode(await h3(sb, ["registry", "logout", host], { env: passEnv }), 1);
    } finally {
      await stopGpgAgent(passEnv);
    }
  });
});

Deno.test("login/logout, push and pull against token auth (real registry + token issuer)", async (t) => {
  await using issuer = await startTokenIssuer({
    users: { alice: password },
    refreshTokens: { [identityToken]: "alice" },
    acl: [
      { repository: "public/chart", actions: ["pull"] },
      { repository: "public/chart", user: "alice", actions: ["push"] },
      { repository: "private/chart", user: "alice", actions: ["pull", "push"] },
    ],
  });
  await using registry = await startRegistry({ auth: { token: issuer } });
  await using sb = await sandbox();
  await using stranger = await sandbox();
  const host = registry.host;
  const configFile = `${sb.env.DOCKER_CONFIG}/config.json`;
  const publicRef = `${host}/public/chart:1.0.0`;
  const privateRef = `${host}/private/chart:1.0.0`;
  await saveChart(sb, "chart", publicRef);
  await saveChart(sb, "chart", privateRef);
  const login = (stdin: string) =>
    h3(sb, ["registry", "login", host, "-u", "alice", "--password-stdin", "--debug"], { stdin });
  const newRequests = (from: number) =>
    issuer.requests.slice(from).map((r) => `${r.method} ${r.grant} ${r.user ?? "-"} ${r.status}`);

  await t.step("a wrong password is refused by the token service; nothing stored", async () => {
    const r = expectCode(await login(wrongPassword), 1);
    assert.match(
      r.stderr,
      new RegExp(
        `^Error: ${host} refused the credentials: its token service answered 401 Unauthorized: invalid username or password$`,
        "m",
      ),
    );
    assert.equal(await readJson(configFile), undefined);
  });

  await t.step("without login, pushing is denied", async () => {
    expectCode(await h3(sb, ["chart", "push", privateRef]), 1);
  });

  await t.step("login gets a token with the password and stores the login", async () => {
    const before = issuer.requests.length;
    const r = expectCode(await login(password), 0);
    assert.equal(r.stdout, "Login succeeded\n");
    assert.match(
      r.stderr,
      /GET http:\/\/127\.0\.0\.1:\d+\/token\?service=\S+ \(token, basic\): 200/,
    );
    assert.deepEqual(newRequests(before), ["GET basic alice 200"]);
    assert.deepEqual(await readJson(configFile), {
      auths: { [host]: { auth: btoa(`alice:${password}`) } },
    });
  });

  await t.step("push and pull as the logged-in user", async () => {
    expectCode(await h3(sb, ["chart", "push", publicRef]), 0);
    expectCode(await h3(sb, ["chart", "push", privateRef]), 0);
    expectCode(await pull(sb, privateRef), 0);
  });

  await t.step(
    "anyone pulls the public repository anonymously, with no config at all",
    async () => {
      const before = issuer.requests.length;
      const r = expectCode(await pull(stranger, publicRef), 0);
      assert.match(r.stdout, /Status: Downloaded newer chart/);
      assert.ok(newRequests(before).every((line) => line.startsWith("GET anonymous")));
    },
  );

  await t.step("the private repository is denied without credentials", async () => {
    const r = expectCode(await pull(stranger, privateRef), 1);
    assert.match(r.stderr, new RegExp(`^Error: ${host} denied access for .*private/chart`, "m"));
  });

  await t.step(
    "an identity token is exchanged once (refresh_token grant) for the whole pull",
    async () => {
      await Deno.mkdir(stranger.env.DOCKER_CONFIG);
      await Deno.writeTextFile(
        `${stranger.env.DOCKER_CONFIG}/config.json`,
        JSON.stringify({ auths: { [host]: { identitytoken: identityToken } } }),
      );
      const before = issuer.requests.length;
      expectCode(await pull(stranger, privateRef), 0);
      assert.deepEqual(newRequests(before), ["POST refresh_token alice 200"]);
    },
  );

  await t.step("logout removes the login; the private repository is denied again", async () => {
    const r = expectCode(await h3(sb, ["registry", "logout", host]), 0);
    assert.equal(r.stdout, `Removing login credentials for ${host}\n`);
    expectCode(await pull(sb, privateRef), 1);
  });
});

Deno.test("nothing h3 printed in these tests holds a secret", () => {
  assert.ok(outputs.length >= 30, "the runs above were recorded");
  for (const { stdout, stderr } of outputs) {
    for (const secret of secrets) {
      assert.ok(
        !stdout.includes(secret) && !stderr.includes(secret),
        `a secret was printed:\n${stdout}\n${stderr}`,
      );
    }
  }
});
