/**
 * Requests per chart on pull, counted in real registries' access logs: a bulk pull of new charts
 * costs three GETs per chart (the manifest by its tag, the config, the content), with no HEAD, no
 * version check (`GET /v2/`) and nothing read twice; pulled again, a chart costs the one GET of
 * its manifest and is up to date, with nothing written to the cache.
 * @module
 */
import assert from "node:assert/strict";
import { minimalChart, writeTree } from "../helpers/charts.ts";
import { expectCode, sandbox } from "../helpers/cli.ts";
import { requestsSince, testEachRegistry } from "../helpers/registry.ts";

/** `METHOD what STATUS` of a request line: the path reduced to manifests, blobs or other. */
function kind(line: string): string {
  const [method, path, status] = line.split(" ");
  const what = /\/manifests\//.test(path) ? "manifest" : /\/blobs\//.test(path) ? "blob" : path;
  return `${method} ${what} ${status}`;
}

testEachRegistry(
  "pull: in a bulk pull a chart costs 3 GETs (manifest by tag, config, content), pulled again 1",
  async (start) => {
    await using registry = await start({ accessLog: true });
    await using pusher = await sandbox();
    const n = 8;
    const refs = [];
    for (let k = 0; k < n; k++) {
      const dir = `${pusher.dir}/chart${k}`;
      const chart = `apiVersion: v2\nname: chart${k}\nversion: 1.0.0\n`;
      await writeTree(dir, { ...minimalChart, "Chart.yaml": chart, "values.yaml": `k: ${k}\n` });
      const ref = `${registry.host}/bulk/chart${k}:1.0.0`;
      expectCode(await pusher.run(["chart", "save", dir, ref]), 0);
      refs.push(ref);
    }
    expectCode(await pusher.run(["chart", "push", ...refs]), 0);

    await using puller = await sandbox();
    let from = registry.requests().length;
    const run = expectCode(await puller.run(["chart", "pull", ...refs, "--concurrency", "3"]), 0);
    assert.equal(run.stdout.match(/^Status: Downloaded newer chart for /gm)?.length, n);
    const fresh = await requestsSince(registry, from, { pings: true });
    assert.deepEqual(
      fresh.map(kind).sort(),
      [...Array(2 * n).fill("GET blob 200"), ...Array(n).fill("GET manifest 200")],
      fresh.join("\n"),
    );
    for (const ref of refs) {
      const repo = ref.slice(ref.indexOf("/"), ref.lastIndexOf(":"));
      const mine = fresh.filter((line) => line.includes(`${repo}/`));
      assert.equal(new Set(mine).size, 3, `each of its 3 GETs once:\n${mine.join("\n")}`);
    }

    const index = await Deno.readTextFile(`${puller.helmHome}/registry/index.json`);
    const blobs = [...Deno.readDirSync(`${puller.helmHome}/registry/blobs/sha256`)].length;
    from = registry.requests().length;
    const again = expectCode(await puller.run(["chart", "pull", ...refs]), 0);
    assert.equal(again.stdout.match(/^Status: Chart is up to date for /gm)?.length, n);
    const repull = await requestsSince(registry, from, { pings: true });
    assert.deepEqual(repull.map(kind), Array(n).fill("GET manifest 200"), repull.join("\n"));
    assert.equal(await Deno.readTextFile(`${puller.helmHome}/registry/index.json`), index);
    assert.equal([...Deno.readDirSync(`${puller.helmHome}/registry/blobs/sha256`)].length, blobs);
  },
);

testEachRegistry(
  "pull --version: an exact version is read as its tag at once (no tag list), as Helm reads it",
  async (start) => {
    await using registry = await start({ accessLog: true });
    await using sb = await sandbox();
    for (const version of ["1.0.0", "1.2.0"]) {
      const dir = `${sb.dir}/app-${version}`;
      await writeTree(dir, {
        ...minimalChart,
        "Chart.yaml": `apiVersion: v2\nname: app\nversion: ${version}\n`,
      });
      const ref = `${registry.host}/team/app:${version}`;
      expectCode(await sb.run(["chart", "save", dir, ref]), 0);
      expectCode(await sb.run(["chart", "push", ref]), 0);
    }
    const repo = `oci://${registry.host}/team/app`;
    const pull = async (version: string, code: number) => {
      const from = registry.requests().length;
      const out = await sb.run(["chart", "pull", repo, "--version", version, "-d", `out-${code}`]);
      expectCode(out, code);
      return { out, kinds: (await requestsSince(registry, from)).map(kind) };
    };

    // Exact: the manifest by its tag, then config and content together; no tag list.
    const exact = await pull("1.0.0", 0);
    assert.match(exact.out.stdout, /^Saved: out-0\/app-1\.0\.0\.tgz$/m);
    assert.deepEqual(exact.kinds.sort(), ["GET blob 200", "GET blob 200", "GET manifest 200"]);
    // A range: the tags are listed first.
    const range = await pull("^1.0.0", 0);
    assert.match(range.out.stdout, /^Saved: out-0\/app-1\.2\.0\.tgz$/m);
    assert.equal(range.kinds.filter((k) => k.includes("/tags/list")).length, 1, range.kinds.join());
    // A version that is not there: its tag is asked for, then the tags listed for the message.
    const none = await pull("9.9.9", 1);
    assert.equal(
      none.out.stderr,
      `Error: ${registry.host}/team/app: no version matches "9.9.9" (newest: 1.2.0, 1.0.0)\n`,
    );
    assert.deepEqual(none.kinds.map((k) => k.replace(/ \/v2\/team\/app\/tags\/list/, " tags")), [
      "GET manifest 404",
      "GET tags 200",
    ]);
  },
);
