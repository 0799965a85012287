/**
 * `oci-archive:FILE.tar` read where it lies: a chart pulled or copied out of an archive reads its
 * own blobs from the file (nothing else is unpacked), whichever tar wrote the archive (h3,
 * skopeo, `tar -C DIR -cf FILE .`, GNU and pax headers); a chart added to an archive leaves every
 * other entry as it was; a hostile or damaged archive is refused with one line, nothing written.
 */
import assert from "node:assert/strict";
import { openLayoutLocation, parseLocation } from "../../core/locations.ts";
import { connectRepository } from "../../core/transport/repository.ts";
import { expectCode, sandbox, skopeo } from "../helpers/cli.ts";
import { startRegistry } from "../helpers/registry.ts";
import { pushChartVersion } from "../helpers/remote_charts.ts";

/** A tar entry's name and where its body lies, read from ustar headers (plain ones only). */
interface Entry {
  name: string;
  offset: number;
  size: number;
}

function entries(tar: Uint8Array): Entry[] {
  const text = (from: number, to: number) =>
    new TextDecoder().decode(tar.subarray(from, to)).replace(/\0.*$/s, "");
  const found: Entry[] = [];
  for (let at = 0; at + 512 <= tar.byteLength && tar[at] !== 0;) {
    const size = parseInt(text(at + 124, at + 136).trim() || "0", 8);
    found.push({ name: text(at, at + 100), offset: at + 512, size });
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return found;
}

/** Sets the size field of the header at `at`, and its checksum to match. */
function setSize(tar: Uint8Array, at: number, size: number): void {
  const field = (offset: number, text: string) =>
    tar.set(new TextEncoder().encode(text), at + offset);
  field(124, size.toString(8).padStart(11, "0") + "\0");
  field(148, "        ");
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += tar[at + i];
  field(148, sum.toString(8).padStart(6, "0") + "\0 ");
}

async function tar(...args: string[]): Promise<void> {
  const out = await new Deno.Command("tar", { args, stderr: "piped" }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
}

Deno.test("layout archive: one chart is read where it lies, in every form tar writes", async () => {
  await using registry = await startRegistry();
  await using sb = await sandbox();
  using repo = connectRepository(`${registry.host}/charts/app`);
  const digests: string[] = [];
  for (const version of ["1.0.0", "1.1.0", "2.0.0"]) {
    digests.push((await pushChartVersion(repo, { name: "app", version })).digest);
  }
  const src = `${registry.host}/charts/app`;
  expectCode(await sb.run(["chart", "copy", src, "oci:layout", "--all-tags"]), 0);
  const layout = `${sb.dir}/layout`;
  expectCode(await sb.run(["chart", "copy", src, "oci-archive:h3.tar", "--all-tags"]), 0);
  await tar("--format=ustar", "-C", layout, "-cf", `${sb.dir}/dot.tar`, ".");
  await tar("--format=gnu", "-C", layout, "-cf", `${sb.dir}/gnu.tar`, ".");
  await tar("--format=pax", "-C", layout, "-cf", `${sb.dir}/pax.tar`, ".");
  await skopeo("copy", `oci:${layout}:1.1.0`, `oci-archive:${sb.dir}/skopeo.tar:1.1.0`);

  for (const archive of ["h3.tar", "dot.tar", "gnu.tar", "pax.tar", "skopeo.tar"]) {
    const out = expectCode(
      await sb.run(["chart", "pull", `oci-archive:${archive}:1.1.0`, "-d", `out-${archive}`]),
      0,
    );
    assert.equal(
      out.stdout,
      `Pulled: oci-archive:${archive}:1.1.0\nDigest: ${digests[1]}\n` +
        `Saved: out-${archive}/app-1.1.0.tgz\n`,
    );
  }

  // Opened as a copy's source, a plain archive's blobs stay in it: only its index is copied out.
  for (const archive of ["h3.tar", "dot.tar", "skopeo.tar"]) {
    const location = parseLocation(`oci-archive:${sb.dir}/${archive}`);
    if (location.kind !== "archive") throw new Error(location.kind);
    await using opened = await openLayoutLocation(location, true);
    const names = [...Deno.readDirSync(opened.layout.dir)].map((e) => e.name).sort();
    assert.deepEqual(names, ["index.json", "oci-layout"], archive);
    const desc = await opened.layout.resolve("1.1.0");
    assert.equal(desc.digest, digests[1]);
    assert.equal((await opened.layout.manifest(desc)).layers.length, 1);
  }

  // A copy of every tag out of an archive reaches the registry whole.
  expectCode(
    await sb.run([
      "chart",
      "copy",
      "oci-archive:dot.tar",
      `${registry.host}/again/app`,
      "--all-tags",
    ]),
    0,
  );
  using again = connectRepository(`${registry.host}/again/app`);
  assert.deepEqual(
    await Promise.all(
      ["1.0.0", "1.1.0", "2.0.0"].map(async (t) => (await again.resolve(t)).digest),
    ),
    digests,
  );
});

Deno.test("layout archive: a chart added to an archive leaves every other entry as it was", async () => {
  await using registry = await startRegistry();
  await using sb = await sandbox();
  using repo = connectRepository(`${registry.host}/charts/app`);
  const one = await pushChartVersion(repo, { name: "app", version: "1.0.0" });
  const two = await pushChartVersion(repo, { name: "app", version: "2.0.0" });
  const src = `${registry.host}/charts/app`;
  const bundle = `${sb.dir}/bundle.tar`;
  expectCode(await sb.run(["chart", "copy", `${src}:1.0.0`, "oci-archive:bundle.tar"]), 0);
  const before = await Deno.readFile(bundle);
  const out = expectCode(
    await sb.run(["chart", "copy", `${src}:2.0.0`, "oci-archive:bundle.tar"]),
    0,
  );
  assert.match(out.stdout, /^2\.0\.0: copied app 2\.0\.0 \(2 blobs, /m);
  const after = await Deno.readFile(bundle);

  const body = (tar: Uint8Array, e: Entry) => tar.subarray(e.offset, e.offset + e.size);
  const added = new Map(entries(after).map((e) => [e.name, body(after, e)]));
  for (const entry of entries(before)) {
    if (entry.name === "index.json") continue;
    assert.deepEqual(added.get(entry.name), body(before, entry), entry.name);
  }
  assert.equal(entries(after).length, entries(before).length + 3, "a manifest, config and content");
  for (const [tag, desc] of [["1.0.0", one], ["2.0.0", two]] as const) {
    const raw = await skopeo("inspect", "--raw", `oci-archive:${bundle}:${tag}`);
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(raw));
    assert.equal(`sha256:${new Uint8Array(digest).toHex()}`, desc.digest);
  }
});

Deno.test("layout archive: a damaged archive is refused with one line, nothing written", async () => {
  await using registry = await startRegistry();
  await using sb = await sandbox();
  using repo = connectRepository(`${registry.host}/charts/app`);
  await pushChartVersion(repo, { name: "app", version: "1.0.0" });
  expectCode(
    await sb.run(["chart", "copy", `${registry.host}/charts/app:1.0.0`, "oci-archive:good.tar"]),
    0,
  );
  const good = await Deno.readFile(`${sb.dir}/good.tar`);
  const blobs = entries(good).filter((e) => /^blobs\/sha256\/[a-f0-9]{64}$/.test(e.name));

  // A blob whose bytes were changed (the config's, then the package's): its digest check fails,
  // and nothing is written, not even the folder `-d` names.
  const gzipped = (e: Entry) => good[e.offset] === 0x1f && good[e.offset + 1] === 0x8b;
  for (const blob of [blobs.find((e) => !gzipped(e))!, blobs.find(gzipped)!]) {
    const changed = good.slice();
    changed[blob.offset + 1] ^= 1;
    await Deno.writeFile(`${sb.dir}/changed.tar`, changed);
    for (const untar of [[], ["--untar"]]) {
      const bad = expectCode(
        await sb.run(["chart", "pull", "oci-archive:changed.tar:1.0.0", "-d", "out/a", ...untar]),
        1,
      );
      assert.match(
        bad.stderr,
        new RegExp(
          `^Error: oci-archive:changed\\.tar:1\\.0\\.0: digest mismatch: expected sha256:${
            blob.name.slice("blobs/sha256/".length)
          }, got sha256:[a-f0-9]{64}\n$`,
        ),
      );
      assert.equal(await Deno.stat(`${sb.dir}/out`).catch(() => undefined), undefined);
    }
  }

  // An archive cut inside a body, and one whose entry says it is longer than the file.
  await Deno.writeFile(`${sb.dir}/cut.tar`, good.subarray(0, blobs[1].offset + 10));
  const long = good.slice();
  setSize(long, blobs[1].offset - 512, 0o7777777777);
  await Deno.writeFile(`${sb.dir}/long.tar`, long);
  for (const name of ["cut.tar", "long.tar"]) {
    const out = expectCode(
      await sb.run(["chart", "pull", `oci-archive:${name}:1.0.0`, "-d", "out"]),
      1,
    );
    assert.match(
      out.stderr,
      new RegExp(
        `^Error: oci-archive:${
          name.replace(".", "\\.")
        }:1\\.0\\.0: not a valid tar archive \\(.+\\)\n$`,
      ),
    );
  }

  // A link: under a name of its own it is skipped (never written); under a blob's name, refused.
  expectCode(
    await sb.run(["chart", "copy", `${registry.host}/charts/app:1.0.0`, "oci:layout"]),
    0,
  );
  const layout = `${sb.dir}/layout`;
  await Deno.symlink("/etc/passwd", `${layout}/notes`);
  await tar("-C", layout, "-cf", `${sb.dir}/noted.tar`, ".");
  expectCode(await sb.run(["chart", "pull", "oci-archive:noted.tar:1.0.0", "-d", "noted"]), 0);
  const hex = blobs[0].name.slice("blobs/sha256/".length);
  await Deno.remove(`${layout}/blobs/sha256/${hex}`);
  await Deno.symlink("/etc/passwd", `${layout}/blobs/sha256/${hex}`);
  await tar("-C", layout, "-cf", `${sb.dir}/linked.tar`, ".");
  const linked = expectCode(
    await sb.run(["chart", "pull", "oci-archive:linked.tar:1.0.0", "-d", "out"]),
    1,
  );
  assert.equal(
    linked.stderr,
    `Error: oci-archive:linked.tar:1.0.0: entry "blobs/sha256/${hex}" is not a regular file\n`,
  );
  assert.equal(await Deno.stat(`${sb.dir}/out`).catch(() => undefined), undefined);
});
