import assert from "node:assert/strict";
import { helperErase, helperGet, helperStore } from "../../core/auth/helper.ts";
import { configFileCredentials } from "../../core/auth/credentials.ts";
import { AuthError } from "../../core/errors.ts";
import {
  initPassStore,
  installCredentialHelper,
  stopGpgAgent,
} from "../fixtures/credential_helper.ts";

/** A temp dir whose `bin` is put first on PATH (and the environment restored) for one test. */
async function withPath(
  env: Record<string, string> = {},
): Promise<{ dir: string } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "h3-helper-" });
  const saved = Object.fromEntries(["PATH", ...Object.keys(env)].map((k) => [k, Deno.env.get(k)]));
  Deno.env.set("PATH", `${dir}/bin:${saved.PATH}`);
  for (const [k, v] of Object.entries(env)) Deno.env.set(k, v.replaceAll("$DIR", dir));
  return {
    dir,
    async [Symbol.asyncDispose]() {
      for (const [k, v] of Object.entries(saved)) {
        v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
      }
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

Deno.test("a credential helper on PATH stores, gets and erases credentials by the protocol", async () => {
  await using t = await withPath();
  await installCredentialHelper(`${t.dir}/bin`, "h3test", `${t.dir}/store.json`);
  assert.equal(await helperGet("h3test", "localhost:5000"), undefined, "not found is no error");
  await helperStore("h3test", "localhost:5000", "alice", "helper-secret-1");
  assert.deepEqual(await helperGet("h3test", "localhost:5000"), {
    username: "alice",
    password: "helper-secret-1",
  });
  await helperErase("h3test", "localhost:5000");
  assert.equal(await helperGet("h3test", "localhost:5000"), undefined);
  const log = await Deno.readTextFile(`${t.dir}/store.json.log`);
  assert.equal(
    log,
    "get localhost:5000\nstore localhost:5000\nget localhost:5000\nerase localhost:5000\nget localhost:5000\n",
  );
});

Deno.test("a helper's `<token>` username means its secret is an identity token", async () => {
  await using t = await withPath();
  await installCredentialHelper(`${t.dir}/bin`, "h3test", `${t.dir}/store.json`);
  await helperStore("h3test", "https://index.docker.io/v1/", "<token>", "refresh-abc");
  assert.deepEqual(await helperGet("h3test", "https://index.docker.io/v1/"), {
    identityToken: "refresh-abc",
  });
});

Deno.test("Docker's config sends lookups to credHelpers[host], else to credsStore", async () => {
  await using t = await withPath();
  await installCredentialHelper(`${t.dir}/bin`, "store", `${t.dir}/store.json`);
  await installCredentialHelper(`${t.dir}/bin`, "perhost", `${t.dir}/perhost.json`);
  await helperStore("store", "https://index.docker.io/v1/", "hub", "hub-secret");
  await helperStore("perhost", "private.example.com", "carol", "carol-secret");
  const config = `${t.dir}/config.json`;
  await Deno.writeTextFile(
    config,
    JSON.stringify({
      credsStore: "store",
      credHelpers: { "private.example.com": "perhost" },
      auths: { "private.example.com": { auth: btoa("plain:ignored") } },
    }),
  );
  const lookup = configFileCredentials(config);
  assert.deepEqual(await lookup("docker.io"), { username: "hub", password: "hub-secret" });
  assert.deepEqual(await lookup("private.example.com"), {
    username: "carol",
    password: "carol-secret",
  });
  assert.equal(await lookup("elsewhere.example.com"), undefined);
});

Deno.test("a configured helper missing from PATH is an AuthError naming it", async () => {
  await using t = await withPath();
  await Deno.writeTextFile(`${t.dir}/config.json`, JSON.stringify({ credsStore: "nope" }));
  await assert.rejects(configFileCredentials(`${t.dir}/config.json`)("localhost:5000"), (e) => {
    assert.ok(e instanceof AuthError);
    assert.equal(e.message, "credential helper docker-credential-nope not found on PATH");
    return true;
  });
});

Deno.test("a failing helper's message never carries the secret it was given", async () => {
  await using t = await withPath();
  await Deno.mkdir(`${t.dir}/bin`);
  await Deno.writeTextFile(
    `${t.dir}/bin/docker-credential-echo`,
    '#!/bin/sh\necho "cannot store: $(cat)"\nexit 3\n',
    { mode: 0o755 },
  );
  await assert.rejects(helperStore("echo", "localhost:5000", "alice", "never-shown-77"), (e) => {
    assert.ok(e instanceof AuthError);
    assert.match(e.message, /^credential helper docker-credential-echo store failed: cannot store/);
    assert.doesNotMatch(e.message, /never-shown-77/);
    return true;
  });
});

Deno.test("Debian's docker-credential-pass works as a helper: store, get, erase", async (t) => {
  await using tmp = await withPath({
    GNUPGHOME: "$DIR/gnupg",
    PASSWORD_STORE_DIR: "$DIR/pass",
  });
  const env = { GNUPGHOME: `${tmp.dir}/gnupg`, PASSWORD_STORE_DIR: `${tmp.dir}/pass` };
  try {
    if (!await initPassStore(env)) {
      console.log("SKIPPED: gpg cannot make a key non-interactively here");
      await t.step({ name: "docker-credential-pass (skipped: no gpg key)", ignore: true, fn() {} });
      return;
    }
    await helperStore("pass", "localhost:5000", "alice", "pass-secret-9");
    assert.deepEqual(await helperGet("pass", "localhost:5000"), {
      username: "alice",
      password: "pass-secret-9",
    });
    assert.equal(await helperGet("pass", "other:1"), undefined);
    await helperErase("pass", "localhost:5000");
    assert.equal(await helperGet("pass", "localhost:5000"), undefined);
  } finally {
    await stopGpgAgent(env);
  }
});
