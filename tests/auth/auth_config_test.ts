import assert from "node:assert/strict";
import {
  entryCredential,
  findAuth,
  helperName,
  readDockerConfig,
  registryHost,
  removeAuth,
  serverAddress,
  setAuth,
  setHelperRecord,
  writeDockerConfig,
} from "../../core/auth/docker_config.ts";
import { configFileCredentials, credentialChain } from "../../core/auth/credentials.ts";
import { defaultCredentials } from "../../core/credentials.ts";
import { AuthError } from "../../core/errors.ts";

const b64 = (s: string) => btoa(s);

async function tempConfig(data: unknown): Promise<{ path: string; dir: string } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "h3-auth-config-" });
  const path = `${dir}/config.json`;
  if (data !== undefined) await Deno.writeTextFile(path, JSON.stringify(data));
  return {
    path,
    dir,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

Deno.test("a missing config file reads as empty and knows no credentials", async () => {
  await using file = await tempConfig(undefined);
  const config = await readDockerConfig(file.path);
  assert.deepEqual(config.data, {});
  assert.equal(findAuth(config, "localhost:5000"), undefined);
  assert.equal(await configFileCredentials(file.path)("localhost:5000"), undefined);
});

Deno.test("storing credentials keeps every other key of the user's file, at mode 0600", async () => {
  const user = {
    auths: { "other.example.com": { auth: b64("bob:pw"), email: "bob@example.com" } },
    HttpHeaders: { "User-Agent": "Docker-Client/24" },
    proxies: { default: { httpProxy: "http://proxy:3128" } },
    currentContext: "desktop-linux",
    detachKeys: "ctrl-e,e",
  };
  await using file = await tempConfig(user);
  await Deno.chmod(file.path, 0o644);
  const config = await readDockerConfig(file.path);
  setAuth(config, "registry.example.com:5000", "alice", "p:a:s:s");
  await writeDockerConfig(config);

  const written = JSON.parse(await Deno.readTextFile(file.path));
  assert.deepEqual(written, {
    ...user,
    auths: { ...user.auths, "registry.example.com:5000": { auth: b64("alice:p:a:s:s") } },
  });
  assert.equal((await Deno.stat(file.path)).mode! & 0o777, 0o600);
  const left = [...Deno.readDirSync(file.dir)].map((e) => e.name);
  assert.deepEqual(left, ["config.json"], "no temp file is left behind");
  assert.deepEqual(await configFileCredentials(file.path)("registry.example.com:5000"), {
    username: "alice",
    password: "p:a:s:s",
  });
});

Deno.test("a new config file and its directory are created, the file 0600", async () => {
  await using file = await tempConfig(undefined);
  const config = await readDockerConfig(`${file.dir}/new/config.json`);
  setAuth(config, "docker.io", "alice", "pw");
  await writeDockerConfig(config);
  const written = JSON.parse(await Deno.readTextFile(`${file.dir}/new/config.json`));
  assert.deepEqual(written, {
    auths: { "https://index.docker.io/v1/": { auth: b64("alice:pw") } },
  });
  assert.equal((await Deno.stat(`${file.dir}/new/config.json`)).mode! & 0o777, 0o600);
});

Deno.test("a symlinked config.json is written through to its real file", async () => {
  await using file = await tempConfig(undefined);
  await Deno.writeTextFile(`${file.dir}/real.json`, JSON.stringify({ credsStore: "" }));
  await Deno.symlink(`${file.dir}/real.json`, file.path);
  const config = await readDockerConfig(file.path);
  setAuth(config, "localhost:5000", "alice", "pw");
  await writeDockerConfig(config);
  assert.equal((await Deno.lstat(file.path)).isSymlink, true);
  const real = JSON.parse(await Deno.readTextFile(`${file.dir}/real.json`));
  assert.deepEqual(real.auths["localhost:5000"], { auth: b64("alice:pw") });
});

Deno.test("Docker Hub's aliases and the key's scheme and path variants name the same registry", async () => {
  for (
    const alias of [
      "docker.io",
      "index.docker.io",
      "registry-1.docker.io",
      "https://index.docker.io/v1/",
    ]
  ) {
    assert.equal(registryHost(alias), "docker.io", alias);
    assert.equal(serverAddress(alias), "https://index.docker.io/v1/", alias);
  }
  assert.equal(registryHost("https://Registry.Example.com:5000/v2/"), "registry.example.com:5000");
  assert.equal(serverAddress("localhost:5000"), "localhost:5000");

  await using file = await tempConfig({
    auths: {
      "https://index.docker.io/v1/": { auth: b64("hub:hubpw") },
      "http://plain.example.com": { auth: b64("plain:plainpw") },
      "https://path.example.com:5000/v2/": { auth: b64("path:pathpw") },
    },
  });
  const lookup = configFileCredentials(file.path);
  for (const host of ["docker.io", "index.docker.io"]) {
    assert.deepEqual(await lookup(host), { username: "hub", password: "hubpw" }, host);
  }
  assert.deepEqual(await lookup("plain.example.com"), { username: "plain", password: "plainpw" });
  assert.deepEqual(await lookup("path.example.com:5000"), { username: "path", password: "pathpw" });
  assert.equal(await lookup("path.example.com"), undefined, "the port is part of the host");
});

Deno.test("the exact key wins over a variant of it", async () => {
  await using file = await tempConfig({
    auths: {
      "https://example.com:5000": { auth: b64("old:oldpw") },
      "example.com:5000": { auth: b64("new:newpw") },
    },
  });
  assert.deepEqual(await configFileCredentials(file.path)("example.com:5000"), {
    username: "new",
    password: "newpw",
  });
});

Deno.test("identity tokens, registry tokens and plain username/password fields are read", async () => {
  await using file = await tempConfig({
    auths: {
      "idt.example.com": { auth: b64("alice:"), identitytoken: "refresh-xyz" },
      "rt.example.com": { registrytoken: "bearer-xyz" },
      "fields.example.com": { username: "carol", password: "carolpw" },
      "empty.example.com": {},
    },
  });
  const lookup = configFileCredentials(file.path);
  assert.deepEqual(await lookup("idt.example.com"), {
    username: "alice",
    password: "",
    identityToken: "refresh-xyz",
  });
  assert.deepEqual(await lookup("rt.example.com"), { registryToken: "bearer-xyz" });
  assert.deepEqual(await lookup("fields.example.com"), { username: "carol", password: "carolpw" });
  assert.equal(await lookup("empty.example.com"), undefined);
});

Deno.test("a malformed config or auth value is an AuthError naming the file, not the secret", async () => {
  await using file = await tempConfig(undefined);
  await Deno.writeTextFile(file.path, "{ not json");
  await assert.rejects(readDockerConfig(file.path), (e: Error) => {
    assert.ok(e instanceof AuthError);
    assert.match(e.message, new RegExp(`cannot parse ${file.path}`));
    return true;
  });
  assert.throws(() => entryCredential({ auth: b64("no-colon-secret") }, "the file"), (e: Error) => {
    assert.match(e.message, /invalid "auth" value in the file/);
    assert.doesNotMatch(e.message, /no-colon-secret/);
    return true;
  });
});

Deno.test("credHelpers for a host win over credsStore; both match the host's variants", async () => {
  await using file = await tempConfig({
    credsStore: "desktop",
    credHelpers: { "https://gcr.example.com": "gcloud", "index.docker.io": "hub" },
  });
  const config = await readDockerConfig(file.path);
  assert.equal(helperName(config, "gcr.example.com"), "gcloud");
  assert.equal(helperName(config, "docker.io"), "hub");
  assert.equal(helperName(config, "localhost:5000"), "desktop");
  assert.equal(helperName({ path: "", data: {} }, "localhost:5000"), undefined);
});

Deno.test("removing a registry's login removes every variant key; a helper record replaces secrets", async () => {
  await using file = await tempConfig({
    auths: {
      "example.com": { auth: b64("a:b") },
      "https://example.com/v2/": { auth: b64("c:d") },
      "keep.example.com": { auth: b64("e:f") },
    },
  });
  const config = await readDockerConfig(file.path);
  assert.equal(removeAuth(config, "example.com"), true);
  assert.equal(removeAuth(config, "example.com"), false);
  assert.deepEqual(Object.keys(config.data.auths as object), ["keep.example.com"]);
  setHelperRecord(config, "keep.example.com");
  assert.deepEqual(config.data.auths, { "keep.example.com": {} });
});

Deno.test("the credential chain asks providers in order and the first hit wins", async () => {
  const asked: string[] = [];
  const chain = credentialChain([
    (r) => (asked.push(`plugin ${r}`), Promise.resolve(undefined)),
    (r) => (asked.push(`docker ${r}`), Promise.resolve({ username: "u", password: "p" })),
    (r) => (asked.push(`helm ${r}`), Promise.resolve({ username: "x", password: "y" })),
  ]);
  assert.deepEqual(await chain("example.com"), { username: "u", password: "p" });
  assert.deepEqual(asked, ["plugin example.com", "docker example.com"]);
});

Deno.test("h3's chain reads Docker's config, then Helm's registry config, then podman's auth file", async () => {
  await using file = await tempConfig(undefined);
  const dir = file.dir;
  const vars: Record<string, string> = {
    HOME: dir,
    HELM_HOME: `${dir}/helm-home`,
    DOCKER_CONFIG: `${dir}/docker`,
    XDG_CONFIG_HOME: `${dir}/xdg`,
    XDG_RUNTIME_DIR: `${dir}/run`,
  };
  const names = [...Object.keys(vars), "HELM_REGISTRY_CONFIG", "HELM_CONFIG_HOME"];
  const saved = names.map((k) => [k, Deno.env.get(k)] as const);
  for (const k of names) Deno.env.delete(k);
  for (const [k, v] of Object.entries(vars)) Deno.env.set(k, v);
  const write = async (path: string, auths: Record<string, string>) => {
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    const entries = Object.entries(auths).map((
      [host, user],
    ) => [host, { auth: b64(`${user}:pw`) }]);
    await Deno.writeTextFile(path, JSON.stringify({ auths: Object.fromEntries(entries) }));
  };
  try {
    await write(`${dir}/docker/config.json`, { "a.example.com": "docker" });
    await write(`${dir}/xdg/helm/registry/config.json`, {
      "a.example.com": "helm",
      "b.example.com": "helm",
    });
    await write(`${dir}/run/containers/auth.json`, {
      "b.example.com": "podman",
      "c.example.com": "podman",
    });
    const lookup = defaultCredentials();
    assert.equal((await lookup("a.example.com"))?.username, "docker");
    assert.equal((await lookup("b.example.com"))?.username, "helm");
    assert.equal((await lookup("c.example.com"))?.username, "podman");
    assert.equal(await lookup("d.example.com"), undefined);
    Deno.env.set("HELM_REGISTRY_CONFIG", `${dir}/elsewhere.json`);
    assert.equal((await defaultCredentials()("b.example.com"))?.username, "podman");
  } finally {
    for (const [k, v] of saved) v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
  }
});
