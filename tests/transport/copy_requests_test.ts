/**
 * Requests per chart of `chart copy --all-tags`, counted in two real registry:2 access logs: the
 * destination's tags are listed once, so a new repository is not asked about each tag, and each
 * source tag's manifest is read once (a GET, no HEAD first); a re-run asks each tag once on each
 * side and writes nothing. One chart's copy reads its manifest while it asks the destination.
 * @module
 */
import assert from "node:assert/strict";
import { minimalChart, writeTree } from "../helpers/charts.ts";
import { expectCode, sandbox } from "../helpers/cli.ts";
import { requestsSince, startRegistry } from "../helpers/registry.ts";

/** `METHOD kind STATUS` per request, sorted: kind is tags, manifest, blob or upload. */
function kinds(lines: string[]): string[] {
  return lines.map((line) => {
    const [method, path, status] = line.split(" ");
    const kind = path.includes("/blobs/uploads/")
      ? "upload"
      : path.includes("/blobs/")
      ? "blob"
      : path.includes("/manifests/")
      ? "manifest"
      : path.includes("/tags/list")
      ? "tags"
      : path;
    return `${method} ${kind} ${status}`;
  }).sort();
}

/** `n` copies of each of `lines`. */
const times = (n: number, ...lines: string[]) => lines.flatMap((line) => Array(n).fill(line));

Deno.test("copy --all-tags: the destination's tags are listed once; a tag costs one GET of its manifest at the source", async () => {
  await using src = await startRegistry({ accessLog: true });
  await using dst = await startRegistry({ accessLog: true });
  await using sb = await sandbox();
  const versions = ["1.0.0", "1.1.0", "1.2.0"];
  for (const version of versions) {
    const dir = `${sb.dir}/app-${version}`;
    const chart = `apiVersion: v2\nname: app\nversion: ${version}\n`;
    await writeTree(dir, { ...minimalChart, "Chart.yaml": chart });
    const ref = `${src.host}/team/app:${version}`;
    expectCode(await sb.run(["chart", "save", dir, ref]), 0);
    expectCode(await sb.run(["chart", "push", ref]), 0);
  }
  const copy = ["chart", "copy", `${src.host}/team/app`, `${dst.host}/mirror/app`, "--all-tags"];

  let [fromSrc, fromDst] = [src.requests().length, dst.requests().length];
  expectCode(await sb.run(copy), 0);
  let [read, written] = [await requestsSince(src, fromSrc), await requestsSince(dst, fromDst)];
  assert.deepEqual(
    kinds(read),
    [
      ...times(6, "GET blob 200"), // a config and a content layer each
      ...times(3, "GET manifest 200"),
      "GET tags 200",
    ].sort(),
    read.join("\n"),
  );
  // At most six requests a tag at the destination (a HEAD, a POST and a PUT per blob but the
  // config's HEAD, the manifest PUT), the same as a push.
  assert.ok(written.length <= 1 + 6 * versions.length, written.join("\n"));
  assert.ok(!written.some((line) => /^HEAD \S+\/manifests\//.test(line)), written.join("\n"));
  assert.equal(written.filter((line) => /^GET \S+\/tags\/list/.test(line)).length, 1);
  assert.equal(written.filter((line) => /^PUT \S+\/manifests\//.test(line)).length, 3);

  // A re-run: every tag is there, asked once on each side, nothing read or written.
  [fromSrc, fromDst] = [src.requests().length, dst.requests().length];
  const again = expectCode(await sb.run(copy), 0);
  assert.match(again.stdout + again.stderr, /3 already there|skipped/i);
  [read, written] = [await requestsSince(src, fromSrc), await requestsSince(dst, fromDst)];
  assert.deepEqual(
    kinds(read),
    ["GET tags 200", ...times(3, "GET manifest 200")].sort(),
    read.join("\n"),
  );
  assert.deepEqual(
    kinds(written),
    ["GET tags 200", ...times(3, "HEAD manifest 200")],
    written.join("\n"),
  );

  // One chart: its manifest read once, its blobs once; the destination asked about its tag once.
  [fromSrc, fromDst] = [src.requests().length, dst.requests().length];
  const one = ["chart", "copy", `${src.host}/team/app:1.1.0`, `${dst.host}/one/app:1.1.0`];
  expectCode(await sb.run(one), 0);
  [read, written] = [await requestsSince(src, fromSrc), await requestsSince(dst, fromDst)];
  assert.deepEqual(kinds(read), [...times(2, "GET blob 200"), "GET manifest 200"], read.join("\n"));
  assert.equal(written.filter((line) => /^HEAD \S+\/manifests\//.test(line)).length, 1);
});
