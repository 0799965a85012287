/**
 * `registry login`, `registry logout` and `env` from the library (`mod.ts` in a `deno run` script)
 * against a real docker-registry with htpasswd auth: a refused login stores nothing, an accepted
 * one is stored as the CLI stores it and used by later operations, `env` reports the store, and
 * logout removes it.
 */
import assert from "node:assert/strict";
import { expectCode, sandbox } from "../helpers/cli.ts";
import { startHtpasswdRegistry } from "../helpers/htpasswd_registry.ts";
import { modPath, runScript } from "../helpers/library.ts";

Deno.test("the library logs in, reports the login in env, uses it, and logs out", async () => {
  await using box = await sandbox();
  await using registry = await startHtpasswdRegistry(box.dir, "dana", "pw-of-dana");
  const host = registry.host;
  const stdout = await runScript(
    box.dir,
    `import * as h3 from "${modPath}";
await h3.login("${host}", { username: "dana", password: "wrong" })
  .catch((e) => console.log("refused:", e.name));
console.log("stored after refusal:", (await h3.env({ registry: "${host}" })).registry?.credentialsStore);
const done = await h3.login("oci://${host}/any/path", { username: "dana", password: "pw-of-dana" });
console.log("logged in:", done.registry, "file" in done.stored);
console.log("store:", (await h3.env({ registry: "${host}" })).registry?.credentialsStore);
console.log("tags:", (await h3.tags("${host}/none/here").catch((e) => e.name)));
console.log("logout:", await h3.logout("${host}"), await h3.logout("${host}"));
await h3.login("bad host!", { username: "a", password: "b" }).catch((e) => console.log(e.name, e.message));
`,
    box.env,
  );
  assert.equal(
    stdout,
    "refused: AuthError\n" +
      "stored after refusal: none\n" +
      `logged in: ${host} true\n` +
      "store: file\n" +
      // Logged in, the registry answers that the repository is unknown instead of asking who we are.
      "tags: RegistryError\n" +
      "logout: true false\n" +
      'RefError invalid registry host "bad host!"\n',
  );
  // The CLI sees what the library stored, and the logout.
  const logout = await box.run(["registry", "logout", host]);
  expectCode(logout, 1);
  assert.equal(logout.stderr, `Error: not logged in to ${host}\n`);
});
