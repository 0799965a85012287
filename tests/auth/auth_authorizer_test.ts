import assert from "node:assert/strict";
import { normalizeScopes, RegistryAuthorizer } from "../../core/auth/authorizer.ts";
import { parseChallenges } from "../../core/transport/challenge.ts";
import type { Credential } from "../../core/auth/types.ts";
import { AuthError } from "../../core/errors.ts";
import { startRegistry } from "../helpers/registry.ts";
import { startTokenIssuer } from "../helpers/token_issuer.ts";

const acl = [
  { repository: "public/chart", actions: ["pull"] },
  { repository: "private/chart", user: "alice", actions: ["pull", "push"] },
];
const users = { alice: "alice-pw-5150" };

/** The registry's challenges for an unauthenticated GET of `path`. */
async function challengesFor(url: string) {
  const res = await fetch(url);
  await res.body?.cancel();
  assert.equal(res.status, 401);
  return parseChallenges(res.headers.get("www-authenticate"));
}

/** Status of GET `url` with `header` as Authorization. */
async function statusWith(url: string, header: string | undefined): Promise<number> {
  const res = await fetch(url, { headers: header ? { authorization: header } : {} });
  await res.body?.cancel();
  return res.status;
}

function authorizer(credential?: Credential, lines: string[] = []) {
  const asked: string[] = [];
  const auth = new RegistryAuthorizer({
    credentials: (registry) => (asked.push(registry), Promise.resolve(credential)),
    fetch: (input, init) => fetch(input, init),
    debug: (line) => lines.push(line),
  });
  return { auth, asked };
}

Deno.test("scopes for one repository merge their actions into one stable list", () => {
  assert.deepEqual(
    normalizeScopes(["repository:a/b:push", "repository:a/b:pull", "repository:c:pull", ""]),
    ["repository:a/b:pull,push", "repository:c:pull"],
  );
  assert.deepEqual(normalizeScopes(["repository:a:pull repository:a:push"]), [
    "repository:a:pull,push",
  ]);
});

Deno.test("Bearer: anonymous tokens, credentials, caching, refusals (real registry + token issuer)", async (t) => {
  await using issuer = await startTokenIssuer({
    users,
    acl,
    refreshTokens: { "refresh-alice-77": "alice" },
  });
  await using registry = await startRegistry({ auth: { token: issuer } });
  const publicUrl = `${registry.url}/v2/public/chart/tags/list`;
  const privateUrl = `${registry.url}/v2/private/chart/tags/list`;
  const pull = (repo: string) => [`repository:${repo}:pull`];

  await t.step("an anonymous token reads a public repository", async () => {
    const { auth } = authorizer(undefined);
    const header = await auth.authorize(
      registry.host,
      await challengesFor(publicUrl),
      pull("public/chart"),
    );
    assert.match(header!, /^Bearer /);
    assert.equal(await statusWith(publicUrl, header), 404, "authorized: the repo is just empty");
    assert.equal(issuer.requests.at(-1)!.grant, "anonymous");
  });

  await t.step("an anonymous token does not open a private repository", async () => {
    const { auth } = authorizer(undefined);
    const header = await auth.authorize(
      registry.host,
      await challengesFor(privateUrl),
      pull("private/chart"),
    );
    assert.equal(await statusWith(privateUrl, header), 401);
  });

  await t.step("basic credentials get a token for the private repository", async () => {
    const { auth } = authorizer({ username: "alice", password: users.alice });
    const scopes = ["repository:private/chart:pull,push"];
    const header = await auth.authorize(registry.host, await challengesFor(privateUrl), scopes);
    assert.equal(await statusWith(privateUrl, header), 404);
    assert.deepEqual(issuer.requests.at(-1), {
      method: "GET",
      grant: "basic",
      user: "alice",
      scopes: ["repository:private/chart:pull,push"],
      status: 200,
    });
    assert.equal(auth.cached(registry.host, scopes), header, "cached for its scope set");
    assert.equal(auth.cached(registry.host, pull("public/chart")), undefined, "not for others");
  });

  await t.step(
    "concurrent requests for one scope fetch one token; credentials looked up once",
    async () => {
      const { auth, asked } = authorizer({ username: "alice", password: users.alice });
      const before = issuer.requests.length;
      const challenges = await challengesFor(privateUrl);
      const headers = await Promise.all(
        Array.from(
          { length: 8 },
          () => auth.authorize(registry.host, challenges, pull("private/chart")),
        ),
      );
      assert.equal(new Set(headers).size, 1);
      assert.equal(issuer.requests.length - before, 1);
      assert.deepEqual(asked, [registry.host]);
      // A challenge without an error came to a request sent before the token: the cache answers.
      assert.equal(
        await auth.authorize(registry.host, challenges, pull("private/chart")),
        headers[0],
      );
      assert.equal(issuer.requests.length - before, 1);
    },
  );

  await t.step("a refused token (error in the challenge) is fetched anew", async () => {
    const { auth } = authorizer({ username: "alice", password: users.alice });
    const first = await auth.authorize(
      registry.host,
      await challengesFor(privateUrl),
      pull("private/chart"),
    );
    const refused = [{
      scheme: "bearer",
      params: { ...(await challengesFor(privateUrl))[0].params, error: "invalid_token" },
    }];
    const before = issuer.requests.length;
    const second = await auth.authorize(registry.host, refused, pull("private/chart"));
    assert.equal(issuer.requests.length - before, 1);
    assert.notEqual(second, first);
  });

  await t.step("an identity token is exchanged with the refresh_token grant (POST)", async () => {
    const { auth } = authorizer({ identityToken: "refresh-alice-77" });
    const header = await auth.authorize(
      registry.host,
      await challengesFor(privateUrl),
      pull("private/chart"),
    );
    assert.equal(await statusWith(privateUrl, header), 404);
    const last = issuer.requests.at(-1)!;
    assert.deepEqual([last.method, last.grant, last.user], ["POST", "refresh_token", "alice"]);
  });

  await t.step("a registry token is sent as is, without asking the realm", async () => {
    const { auth } = authorizer({ registryToken: "opaque-registry-token" });
    const before = issuer.requests.length;
    const header = await auth.authorize(
      registry.host,
      await challengesFor(privateUrl),
      pull("private/chart"),
    );
    assert.equal(header, "Bearer opaque-registry-token");
    assert.equal(issuer.requests.length, before);
  });

  await t.step(
    "a wrong password is an AuthError naming the registry, never the secret",
    async () => {
      const lines: string[] = [];
      const { auth } = authorizer({ username: "alice", password: "wrong-pw-31337" }, lines);
      await assert.rejects(
        auth.authorize(registry.host, await challengesFor(privateUrl), pull("private/chart")),
        (e) => {
          assert.ok(e instanceof AuthError);
          assert.equal(
            e.message,
            `${registry.host} refused the credentials: its token service answered 401 Unauthorized: invalid username or password`,
          );
          return true;
        },
      );
      assert.ok(lines.length > 0, "debug saw the token request");
      for (const line of lines) {
        assert.doesNotMatch(line, /wrong-pw-31337|Basic /);
      }
    },
  );
});

Deno.test("Bearer: a realm that takes only POST gets the OAuth2 password grant instead", async () => {
  await using issuer = await startTokenIssuer({ users, acl, postOnly: true });
  await using registry = await startRegistry({ auth: { token: issuer } });
  const url = `${registry.url}/v2/private/chart/tags/list`;
  const { auth } = authorizer({ username: "alice", password: users.alice });
  const header = await auth.authorize(registry.host, await challengesFor(url), [
    "repository:private/chart:pull",
  ]);
  assert.equal(await statusWith(url, header), 404);
  const last = issuer.requests.at(-1)!;
  assert.deepEqual([last.method, last.grant, last.user], ["POST", "password", "alice"]);
});

Deno.test("Bearer: a token service refusing anonymous requests is an error that suggests login", async () => {
  await using issuer = await startTokenIssuer({ users, acl, refuseAnonymous: true });
  await using registry = await startRegistry({ auth: { token: issuer } });
  const url = `${registry.url}/v2/public/chart/tags/list`;
  await assert.rejects(
    authorizer(undefined).auth.authorize(registry.host, await challengesFor(url), []),
    (e) => {
      assert.ok(e instanceof AuthError);
      assert.equal(
        e.message,
        `${registry.host} requires authentication: its token service refused an anonymous request ` +
          `(401 Unauthorized): invalid username or password`,
      );
      // The library names no command: the remedy is data, the CLI words it.
      assert.deepEqual(e.remedy, { kind: "login", registry: registry.host });
      return true;
    },
  );
});

Deno.test("Basic: the registry's basic challenge is answered and the header reused up front", async () => {
  const dir = await Deno.makeTempDir({ prefix: "h3-htpasswd-" });
  const htpasswd = await new Deno.Command("htpasswd", {
    args: ["-Bbn", "alice", users.alice],
    stdout: "piped",
  }).output();
  await Deno.writeFile(`${dir}/htpasswd`, htpasswd.stdout);
  try {
    await using registry = await startRegistry({ auth: { htpasswd: { path: `${dir}/htpasswd` } } });
    const url = `${registry.url}/v2/`;
    const challenges = await challengesFor(url);
    assert.equal(challenges[0].scheme, "basic");

    const none = authorizer(undefined).auth;
    assert.equal(await none.authorize(registry.host, challenges, []), undefined);

    const { auth } = authorizer({ username: "alice", password: users.alice });
    assert.equal(auth.cached(registry.host, []), undefined);
    const header = await auth.authorize(registry.host, challenges, []);
    assert.equal(await statusWith(url, header), 200);
    assert.equal(auth.cached(registry.host, ["repository:any/repo:pull"]), header);

    const wrong = authorizer({ username: "alice", password: "nope" }).auth;
    assert.equal(await statusWith(url, await wrong.authorize(registry.host, challenges, [])), 401);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
