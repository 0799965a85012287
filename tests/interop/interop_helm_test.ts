/**
 * h3 and the real Helm (3 and 4, built by scripts/peers.sh) on one real registry: each reads what
 * the other pushed, charts with dependencies and with a .prov included, and each uses the other's
 * login. Skipped, saying why, when that Helm is not built.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { fixtureChart, readTree, writeTree } from "../helpers/charts.ts";
import { expectCode, type RunResult, type Sandbox, sandbox } from "../helpers/cli.ts";
import { startHtpasswdRegistry } from "../helpers/htpasswd_registry.ts";
import { runPeer, testWithPeers } from "../helpers/peers.ts";
import { startRegistry } from "../helpers/registry.ts";
import { sha256Hex } from "../helpers/files.ts";

type Helm = "helm3" | "helm4";

/** Runs `helm` in the sandbox: its HOME (Helm's config, cache, registry/config.json) and Docker's. */
function helm(name: Helm, sb: Sandbox, args: string[], stdin?: string): Promise<RunResult> {
  const env = { HOME: sb.dir, DOCKER_CONFIG: sb.env.DOCKER_CONFIG };
  return runPeer(name, args, { cwd: sb.dir, env, stdin });
}

/** Copies the walkthrough's chart to `sb.dir/src/mychart`; returns that path. */
async function sourceChart(sb: Sandbox): Promise<string> {
  const files: Record<string, Uint8Array> = {};
  for (const [name, text] of Object.entries(await readTree(fixtureChart))) {
    if (text !== "<dir>") files[name] = new TextEncoder().encode(text);
  }
  await writeTree(`${sb.dir}/src/mychart`, files);
  return `${sb.dir}/src/mychart`;
}

/** The files of a chart archive as `tar` extracts them (into `sb.dir/untar-N`). */
async function untar(tgz: string, sb: Sandbox): Promise<Record<string, string>> {
  const dir = await Deno.makeTempDir({ dir: sb.dir, prefix: "untar-" });
  const out = await new Deno.Command("tar", { args: ["-xzf", tgz, "-C", dir], stderr: "piped" })
    .output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const [top] = await Array.fromAsync(Deno.readDir(dir));
  return await readTree(`${dir}/${top.name}`);
}

for (const name of ["helm3", "helm4"] as const) {
  testWithPeers(
    `${name} pulls, shows and templates what h3 pushed; h3 pulls and exports what ${name} pushed`,
    [name],
    async () => {
      await using registry = await startRegistry();
      await using sb = await sandbox();
      const src = await sourceChart(sb);
      const ref = `${registry.host}/charts/mychart:2.7.0`;
      const oci = `oci://${registry.host}/charts/mychart`;
      expectCode(await sb.run(["chart", "save", src, ref]), 0);
      expectCode(await sb.run(["chart", "push", ref]), 0);
      expectCode(await sb.run(["chart", "export", ref, "-d", "h3-export"]), 0);
      const exported = await readTree(`${sb.dir}/h3-export/mychart`);

      const flags = ["--version", "2.7.0", "--plain-http"];
      expectCode(await helm(name, sb, ["pull", oci, ...flags, "--untar", "-d", "pulled"]), 0);
      assert.deepEqual(await readTree(`${sb.dir}/pulled/mychart`), exported);

      const shown = expectCode(await helm(name, sb, ["show", "chart", oci, ...flags]), 0);
      assert.deepEqual(parse(shown.stdout), parse(await Deno.readTextFile(`${src}/Chart.yaml`)));

      const fromRegistry = expectCode(await helm(name, sb, ["template", "rel", oci, ...flags]), 0);
      const fromSource = expectCode(await helm(name, sb, ["template", "rel", src]), 0);
      assert.match(fromRegistry.stdout, /name: "rel-mychart"/);
      assert.equal(fromRegistry.stdout, fromSource.stdout);

      // The other way: helm packages and pushes, h3 pulls into its cache and exports.
      expectCode(await helm(name, sb, ["package", src, "-d", "pkg"]), 0);
      const tgz = `${sb.dir}/pkg/mychart-2.7.0.tgz`;
      expectCode(
        await helm(name, sb, ["push", tgz, `oci://${registry.host}/fromhelm`, "--plain-http"]),
        0,
      );
      await using fresh = await sandbox();
      const back = `${registry.host}/fromhelm/mychart:2.7.0`;
      const pulled = expectCode(await fresh.run(["chart", "pull", back]), 0);
      assert.match(pulled.stdout, /^Status: Downloaded newer chart for /m);
      expectCode(await fresh.run(["chart", "export", back, "-d", "out"]), 0);
      // helm package writes Chart.yaml anew (keys sorted, quotes dropped): the archive is the source.
      assert.deepEqual(await readTree(`${fresh.dir}/out/mychart`), await untar(tgz, sb));
      expectCode(
        await fresh.run(["chart", "pull", `oci://${registry.host}/fromhelm/mychart`, ...flags]),
        0,
      );
      assert.deepEqual(
        await Deno.readFile(`${fresh.dir}/mychart-2.7.0.tgz`),
        await Deno.readFile(tgz),
      );
    },
  );
}

/** A chart `app` with its dependency `sub` in charts/, and values for both. */
const withDependency: Record<string, string> = {
  "Chart.yaml":
    "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n  - name: sub\n    version: 0.1.0\n",
  "values.yaml": "sub:\n  greeting: hello\n",
  "templates/cm.yaml":
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-app\n",
  "charts/sub/Chart.yaml": "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
  "charts/sub/values.yaml": "greeting: hi\n",
  "charts/sub/templates/cm.yaml":
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-sub\ndata:\n  greeting: {{ .Values.greeting }}\n",
};

for (const name of ["helm3", "helm4"] as const) {
  testWithPeers(
    `${name} and h3 exchange a chart with a dependency in charts/, both ways`,
    [name],
    async () => {
      await using registry = await startRegistry();
      await using sb = await sandbox();
      await writeTree(`${sb.dir}/src/app`, withDependency);
      const ref = `${registry.host}/charts/app:0.1.0`;
      expectCode(await sb.run(["chart", "save", "src/app", ref]), 0);
      expectCode(await sb.run(["chart", "push", ref]), 0);
      expectCode(await sb.run(["chart", "export", ref, "-d", "h3-export"]), 0);
      const exported = await readTree(`${sb.dir}/h3-export/app`);
      assert.equal(exported["charts/sub/Chart.yaml"], withDependency["charts/sub/Chart.yaml"]);

      const oci = `oci://${registry.host}/charts/app`;
      const flags = ["--version", "0.1.0", "--plain-http"];
      expectCode(await helm(name, sb, ["pull", oci, ...flags, "--untar", "-d", "pulled"]), 0);
      assert.deepEqual(await readTree(`${sb.dir}/pulled/app`), exported);
      const rendered = expectCode(await helm(name, sb, ["template", "rel", oci, ...flags]), 0);
      assert.match(rendered.stdout, /name: rel-app\n/);
      assert.match(rendered.stdout, /name: rel-sub\ndata:\n {2}greeting: hello\n/);

      expectCode(await helm(name, sb, ["package", "src/app", "-d", "pkg"]), 0);
      const tgz = `${sb.dir}/pkg/app-0.1.0.tgz`;
      const to = `oci://${registry.host}/fromhelm`;
      expectCode(await helm(name, sb, ["push", tgz, to, "--plain-http"]), 0);
      await using fresh = await sandbox();
      const back = `${registry.host}/fromhelm/app:0.1.0`;
      expectCode(await fresh.run(["chart", "pull", back]), 0);
      expectCode(await fresh.run(["chart", "export", back, "-d", "out"]), 0);
      assert.deepEqual(await readTree(`${fresh.dir}/out/app`), await untar(tgz, sb));
    },
  );

  testWithPeers(
    `${name} dependency update resolves an oci:// dependency (a version range) h3 pushed`,
    [name],
    async () => {
      await using registry = await startRegistry();
      await using sb = await sandbox();
      await writeTree(`${sb.dir}/sub`, {
        "Chart.yaml": "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
        "templates/cm.yaml": withDependency["charts/sub/templates/cm.yaml"],
        "values.yaml": "greeting: hi\n",
      });
      for (const version of ["0.1.0", "0.2.0"]) {
        const chartYaml = `apiVersion: v2\nname: sub\nversion: ${version}\n`;
        await Deno.writeTextFile(`${sb.dir}/sub/Chart.yaml`, chartYaml);
        const ref = `${registry.host}/deps/sub:${version}`;
        expectCode(await sb.run(["chart", "save", "sub", ref]), 0);
        expectCode(await sb.run(["chart", "push", ref]), 0);
      }
      await writeTree(`${sb.dir}/app`, {
        "Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n" +
          `  - name: sub\n    version: "~0.1.0"\n    repository: oci://${registry.host}/deps\n`,
        "templates/cm.yaml": withDependency["templates/cm.yaml"],
      });
      const updated = expectCode(
        await helm(name, sb, ["dependency", "update", "app", "--plain-http"]),
        0,
      );
      assert.match(updated.stdout + updated.stderr, /sub/);
      const oci = `oci://${registry.host}/deps/sub`;
      expectCode(await sb.run(["chart", "pull", oci, "--version", "0.1.0", "-d", "h3"]), 0);
      assert.deepEqual(
        await Deno.readFile(`${sb.dir}/app/charts/sub-0.1.0.tgz`),
        await Deno.readFile(`${sb.dir}/h3/sub-0.1.0.tgz`),
        "helm chose 0.1.0 (not 0.2.0) and wrote the content layer h3 pushed",
      );
      const lock = parse(await Deno.readTextFile(`${sb.dir}/app/Chart.lock`));
      assert.deepEqual(lock.dependencies, [
        { name: "sub", version: "0.1.0", repository: `oci://${registry.host}/deps` },
      ]);
      const rendered = expectCode(await helm(name, sb, ["template", "rel", "app"]), 0);
      assert.match(rendered.stdout, /name: rel-sub\ndata:\n {2}greeting: hi\n/);
    },
  );
}

/** A throwaway GnuPG key "h3 test" with no passphrase, exported as the legacy keyrings Helm reads. */
async function throwawayKey(sb: Sandbox): Promise<{ secring: string; pubring: string }> {
  const home = `${sb.dir}/gnupg`;
  await Deno.mkdir(home, { mode: 0o700 });
  const gpg = async (args: string[]) => {
    const out = await new Deno.Command("gpg", {
      args: ["--batch", "--pinentry-mode", "loopback", "--passphrase", "", ...args],
      env: { GNUPGHOME: home },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, `gpg ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
    return out.stdout;
  };
  await gpg(["--quick-gen-key", "h3 test <h3@example.test>", "rsa2048", "sign", "never"]);
  const secring = `${sb.dir}/secring.gpg`;
  const pubring = `${sb.dir}/pubring.gpg`;
  await Deno.writeFile(secring, await gpg(["--export-secret-keys"]));
  await Deno.writeFile(pubring, await gpg(["--export"]));
  await Deno.remove(home, { recursive: true }).catch(() => {});
  return { secring, pubring };
}

for (const name of ["helm3", "helm4"] as const) {
  testWithPeers(
    `${name} and h3 exchange a signed chart: the .prov travels both ways and verifies`,
    [name],
    async () => {
      await using registry = await startRegistry();
      await using sb = await sandbox();
      const { secring, pubring } = await throwawayKey(sb);
      const src = await sourceChart(sb);
      expectCode(
        await helm(name, sb, ["package", src, "--sign", "--key", "h3 test", "--keyring", secring]),
        0,
      );
      const tgz = `${sb.dir}/mychart-2.7.0.tgz`;
      const prov = await Deno.readFile(`${tgz}.prov`);

      // helm pushes it with its .prov; h3 pulls both into the cache and carries both on.
      expectCode(
        await helm(name, sb, ["push", tgz, `oci://${registry.host}/fromhelm`, "--plain-http"]),
        0,
      );
      const back = `${registry.host}/fromhelm/mychart:2.7.0`;
      const pulled = expectCode(await sb.run(["chart", "pull", back]), 0);
      assert.match(pulled.stdout, /^[0-9a-f]{7}: Saving provenance \(\d+ B\)$/m);
      const provDigest = await sha256Hex(prov);
      assert.deepEqual(
        await Deno.readFile(`${sb.helmHome}/registry/blobs/sha256/${provDigest}`),
        prov,
      );
      const copied = `${registry.host}/viah3/mychart:2.7.0`;
      expectCode(await sb.run(["chart", "copy", back, copied]), 0);

      // h3 pushes the signed archive itself; helm verifies both against the public key.
      expectCode(await sb.run(["chart", "push", tgz, `oci://${registry.host}/fromh3`]), 0);
      for (const repo of ["viah3", "fromh3"]) {
        await Deno.mkdir(`${sb.dir}/${repo}`); // helm pull -d needs the directory
        const verified = expectCode(
          await helm(name, sb, [
            "pull",
            `oci://${registry.host}/${repo}/mychart`,
            "--version",
            "2.7.0",
            "--plain-http",
            "--verify",
            "--keyring",
            pubring,
            "-d",
            repo,
          ]),
          0,
        );
        assert.match(verified.stdout + verified.stderr, /Signed by: h3 test <h3@example\.test>/);
        assert.deepEqual(await Deno.readFile(`${sb.dir}/${repo}/mychart-2.7.0.tgz.prov`), prov);
      }
    },
  );

  testWithPeers(
    `${name} registry login is used by h3, and h3 registry login by ${name} (htpasswd)`,
    [name],
    async () => {
      await using sb = await sandbox();
      const password = "s3cret-for-interop";
      await using registry = await startHtpasswdRegistry(sb.dir, "alice", password);
      const host = registry.host;
      const ref = `${host}/private/mychart:2.7.0`;
      const oci = `oci://${host}/private/mychart`;
      const helmPull = async () => {
        await Deno.remove(`${sb.dir}/helm-pulled`, { recursive: true }).catch(() => {});
        await Deno.mkdir(`${sb.dir}/helm-pulled`); // helm pull -d needs the directory
        return await helm(name, sb, [
          "pull",
          oci,
          "--version",
          "2.7.0",
          "--plain-http",
          "-d",
          "helm-pulled",
        ]);
      };
      expectCode(await sb.run(["chart", "save", fixtureChart, ref]), 0);
      const refused = expectCode(await sb.run(["chart", "push", ref]), 1);
      assert.match(refused.stderr, /authentication required/);

      expectCode(
        await helm(name, sb, [
          "registry",
          "login",
          host,
          "-u",
          "alice",
          "--password-stdin",
          "--plain-http",
        ], password),
        0,
      );
      const helmConfig = `${sb.dir}/.config/helm/registry/config.json`;
      assert.ok(JSON.parse(await Deno.readTextFile(helmConfig)).auths[host]);
      expectCode(await sb.run(["chart", "push", ref]), 0);
      expectCode(await helmPull(), 0);

      expectCode(await helm(name, sb, ["registry", "logout", host]), 0);
      expectCode(await sb.run(["chart", "pull", ref]), 1);
      assert.notEqual((await helmPull()).code, 0, "logged out, helm is refused too");

      expectCode(
        await sb.run(["registry", "login", host, "-u", "alice", "--password-stdin"], {
          stdin: password,
        }),
        0,
      );
      expectCode(await helmPull(), 0);
      assert.ok((await Deno.stat(`${sb.dir}/helm-pulled/mychart-2.7.0.tgz`)).isFile);
    },
  );
}

for (const name of ["helm3", "helm4"] as const) {
  testWithPeers(
    `a chart ${name} refuses to package for its values.yaml, h3 refuses to save or push`,
    [name],
    async () => {
      await using sb = await sandbox();
      const chartYaml = "apiVersion: v2\nname: mychart\nversion: 1.0.0\n";
      await writeTree(`${sb.dir}/good/mychart`, { "Chart.yaml": chartYaml });
      expectCode(await helm(name, sb, ["package", "good/mychart", "-d", "good"]), 0);
      for (const values of ["image: nginx\n  tag: 1.0\n", "- a\n- b\n"]) {
        await writeTree(`${sb.dir}/bad/mychart`, {
          "Chart.yaml": chartYaml,
          "values.yaml": values,
        });
        const refused = expectCode(
          await helm(name, sb, ["package", "bad/mychart", "-d", "bad"]),
          1,
        );
        assert.match(refused.stderr, /values\.yaml/);
        const saved = expectCode(
          await sb.run(["chart", "save", "bad/mychart", "r.test/x/mychart"]),
          1,
        );
        assert.match(saved.stderr, /^Error: bad\/mychart\/values\.yaml(:\d+)?: /);
        // The same chart as an archive: helm push refuses it, and so does h3's push CHART.tgz.
        const tar = await new Deno.Command("tar", {
          args: ["-czf", "bad.tgz", "-C", "bad", "mychart"],
          cwd: sb.dir,
        }).output();
        assert.ok(tar.success);
        const helmPush = await helm(name, sb, [
          "push",
          "bad.tgz",
          "oci://127.0.0.1:1/x",
          "--plain-http",
        ]);
        assert.match(helmPush.stderr, /values\.yaml/);
        const pushed = expectCode(
          await sb.run(["chart", "push", "bad.tgz", "oci://127.0.0.1:1/x"]),
          1,
        );
        assert.match(pushed.stderr, /^Error: bad\.tgz: mychart\/values\.yaml(:\d+)?: /);
      }
    },
  );
}
