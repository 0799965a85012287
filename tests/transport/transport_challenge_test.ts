import assert from "node:assert/strict";
import { parseChallenges } from "../../core/transport/challenge.ts";

Deno.test("a Bearer challenge gives its realm, service and scope", () => {
  assert.deepEqual(
    parseChallenges(
      'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"',
    ),
    [{
      scheme: "bearer",
      params: {
        realm: "https://auth.example/token",
        service: "registry.example",
        scope: "repository:a/b:pull,push",
      },
    }],
  );
});

Deno.test("several challenges in one header are told apart; schemes and names lower-cased", () => {
  assert.deepEqual(
    parseChallenges(
      'Basic realm="Registry Realm", BEARER Realm="https://t/x", error="insufficient_scope"',
    ),
    [
      { scheme: "basic", params: { realm: "Registry Realm" } },
      { scheme: "bearer", params: { realm: "https://t/x", error: "insufficient_scope" } },
    ],
  );
});

Deno.test("quoted values keep commas and escaped quotes; unquoted tokens work too", () => {
  assert.deepEqual(parseChallenges('Bearer realm="a,b \\"c\\"" , scope=repo'), [
    { scheme: "bearer", params: { realm: 'a,b "c"', scope: "repo" } },
  ]);
});

Deno.test("empty, missing and bare headers give no or parameterless challenges", () => {
  assert.deepEqual(parseChallenges(null), []);
  assert.deepEqual(parseChallenges(""), []);
  assert.deepEqual(parseChallenges("Basic"), [{ scheme: "basic", params: {} }]);
  assert.deepEqual(parseChallenges("Negotiate, Basic realm=x"), [
    { scheme: "negotiate", params: {} },
    { scheme: "basic", params: { realm: "x" } },
  ]);
});
