import assert from "node:assert/strict";
import { startRegistry } from "../helpers/registry.ts";

Deno.test("the test harness starts a real registry:2 that answers the distribution API", async () => {
  await using registry = await startRegistry();
  const res = await fetch(`${registry.url}/v2/`);
  await res.body?.cancel();
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("docker-distribution-api-version"), "registry/2.0");
});
