import assert from "node:assert/strict";
import { rateLimitOf } from "../../core/transport/rate_limit.ts";
import { fixtureChart } from "../helpers/charts.ts";
import { expectCode, sandbox } from "../helpers/cli.ts";
import { type Fault, startFaultProxy } from "../helpers/fault_proxy.ts";
import { startRegistry } from "../helpers/registry.ts";
import { assertDocShows } from "../helpers/transcripts.ts";

/** A real registry holding `limited/mychart:1.0.0`, behind a front that applies `fault`. */
async function setup(fault: Fault) {
  const registry = await startRegistry();
  const box = await sandbox();
  const direct = `${registry.host}/limited/mychart:1.0.0`;
  expectCode(await box.run(["chart", "save", fixtureChart, direct]), 0);
  expectCode(await box.run(["chart", "push", direct]), 0);
  const proxy = startFaultProxy(registry.url, fault);
  return {
    box,
    proxy,
    ref: `${proxy.host}/limited/mychart:1.0.0`,
    manifestGets: () => proxy.log.filter((r) => r.path.includes("/manifests/")).length,
    async [Symbol.asyncDispose]() {
      await proxy[Symbol.asyncDispose]();
      await registry[Symbol.asyncDispose]();
      await box[Symbol.asyncDispose]();
    },
  };
}

/** The first `times` manifest requests get 429 with `Retry-After: retryAfter`. */
function tooMany(retryAfter: string, times: number): Fault {
  return ({ url, seen }) =>
    url.pathname.includes("/manifests/") && seen < times
      ? new Response('{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}', {
        status: 429,
        headers: {
          "retry-after": retryAfter,
          "ratelimit-limit": "100;w=21600",
          "ratelimit-remaining": "0;w=21600",
        },
      })
      : undefined;
}

Deno.test("rate-limit headers: Docker Hub's `N;w=SECONDS` form, others ignored", () => {
  const response = (headers: Record<string, string>) => new Response(null, { headers });
  assert.deepEqual(
    rateLimitOf(
      response({ "ratelimit-limit": "100;w=21600", "ratelimit-remaining": "76;w=21600" }),
    ),
    { limit: 100, remaining: 76, windowSeconds: 21600 },
  );
  assert.deepEqual(
    rateLimitOf(response({ "RateLimit-Limit": "10", "RateLimit-Remaining": "3" })),
    { limit: 10, remaining: 3, windowSeconds: undefined },
  );
  assert.equal(rateLimitOf(response({ "ratelimit-limit": "lots" })), undefined);
  assert.equal(rateLimitOf(response({})), undefined);
});

Deno.test("--debug shows the request budget the registry announces", async () => {
  await using world = await setup(async ({ forward }) => {
    const answer = await forward();
    const headers = new Headers(answer.headers);
    headers.set("ratelimit-limit", "100;w=21600");
    headers.set("ratelimit-remaining", "42;w=21600");
    return new Response(answer.body, { status: answer.status, headers });
  });
  expectCode(await world.box.run(["chart", "remove", world.ref]), 1); // nothing cached under it
  const pulled = expectCode(await world.box.run(["--debug", "chart", "pull", world.ref]), 0);
  assert.match(pulled.stderr, /^ {2}rate limit: 42 of 100 requests left \(per 21600 s\)$/m);
  await assertDocShows("docs/registry-settings.md", pulled.stderr, /rate limit: 42/, {});
});

Deno.test("a 429 asking for a wait longer than the cap fails at once with a clear message", async () => {
  await using world = await setup(tooMany("3600", 100));
  const failed = expectCode(await world.box.run(["chart", "pull", world.ref]), 1);
  assert.equal(
    failed.stderr,
    `Error: ${world.ref}: ${world.proxy.host} is rate-limiting requests (HTTP 429) and asks to ` +
      `wait 3600 s, longer than h3 waits (60 s, set by maxRetryAfter or H3_MAX_RETRY_AFTER); ` +
      `0 of 100 requests left (per 21600 s); try again later\n`,
  );
  assert.equal(world.manifestGets(), 1, "no retry");

  // The cap is configurable: with H3_MAX_RETRY_AFTER=0.5, a Retry-After of 1 s fails too ...
  await using short = await setup(tooMany("1", 2));
  const capped = await short.box.run(["chart", "pull", short.ref], {
    env: { H3_MAX_RETRY_AFTER: "0.5" },
  });
  assert.match(expectCode(capped, 1).stderr, /asks to wait 1 s, longer than h3 waits \(0.5 s/);
  // ... and with the default it is waited out and the pull succeeds.
  expectCode(await short.box.run(["chart", "pull", short.ref]), 0);
  assert.equal(short.manifestGets(), 3);

  await Deno.mkdir(short.box.helmHome, { recursive: true });
  await Deno.writeTextFile(`${short.box.helmHome}/config.yaml`, "maxRetryAfter: -1\n");
  const bad = expectCode(await short.box.run(["chart", "pull", short.ref]), 1);
  assert.match(bad.stderr, /"maxRetryAfter" must be a number of seconds above 0/);
});
