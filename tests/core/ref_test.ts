import assert from "node:assert/strict";
import { formatReference, parseReference, tagToVersion, versionToTag } from "../../core/ref.ts";
import { RefError } from "../../core/errors.ts";

Deno.test("parses the seed's references", () => {
  assert.deepEqual(parseReference("localhost:5000/myrepo/mychart:latest"), {
    registry: "localhost:5000",
    repository: "myrepo/mychart",
    tag: "latest",
    digest: undefined,
  });
  assert.deepEqual(parseReference("oci://ghcr.io/org/charts/nginx:1.2.3"), {
    registry: "ghcr.io",
    repository: "org/charts/nginx",
    tag: "1.2.3",
    digest: undefined,
  });
});

Deno.test("parses digests, IPv6 hosts, and Docker Hub short names", () => {
  const digest = "sha256:" + "a".repeat(64);
  const r = parseReference(`127.0.0.1:5000/a/b:1.0@${digest}`);
  assert.equal(r.tag, "1.0");
  assert.equal(r.digest, digest);
  assert.equal(parseReference("[::1]:5000/a/b:1").registry, "[::1]:5000");
  assert.deepEqual(parseReference("nginx:1"), {
    registry: "docker.io",
    repository: "library/nginx",
    tag: "1",
    digest: undefined,
  });
});

Deno.test("round-trips through formatReference without oci://", () => {
  for (const s of ["localhost:5000/myrepo/mychart:latest", "example.com/a/b"]) {
    assert.equal(formatReference(parseReference(s)), s);
    assert.equal(formatReference(parseReference(`oci://${s}`)), s);
  }
});

Deno.test("refuses malformed references with a message naming the problem", () => {
  const cases: [string, RegExp][] = [
    ["localhost:5000/MyRepo/chart:1", /invalid repository name/],
    ["localhost:5000/a//b:1", /empty path component/],
    ["localhost:5000/a/b:bad+tag", /invalid tag "bad\+tag"/],
    ["localhost:5000/a/b@sha256:abc", /malformed digest/],
    ["localhost:5000/a/b@md5:" + "a".repeat(32), /unsupported digest/],
    ["", /empty/],
    ["localhost:5000/", /missing repository/],
    ["local host:5000/a", /white space/],
    [
      "localhost:5000",
      /names a registry, not a chart; add the repository \(e\.g\. localhost:5000\//,
    ],
    ["oci://ghcr.io", /names a registry, not a chart/],
    ["127.0.0.1:5000", /names a registry, not a chart/],
  ];
  for (const [input, message] of cases) {
    assert.throws(
      () => parseReference(input),
      (e) => e instanceof RefError && message.test(e.message),
      input,
    );
  }
});

Deno.test("versions map '+' to '_' and back", () => {
  assert.equal(versionToTag("1.2.3+build.1"), "1.2.3_build.1");
  assert.equal(tagToVersion("1.2.3_build.1"), "1.2.3+build.1");
});
