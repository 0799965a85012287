/** GnuPG for tests: a home of its own, two signing keys, keyrings exported as files. @module */

const decoder = new TextDecoder();

/** Runs a program; returns its exit code and output. */
export async function exec(program: string, args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(program, { args, env, stdout: "piped", stderr: "piped" })
    .output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** GnuPG in its own home: keys made, keyrings exported as files Helm and h3 read. */
export async function gnupg(dir: string) {
  const home = `${dir}/gnupg`;
  await Deno.mkdir(home, { mode: 0o700 });
  const env = { GNUPGHOME: home };
  const gpg = async (...args: string[]) => {
    const out = await exec("gpg", ["--batch", "--yes", ...args], env);
    if (out.code !== 0) throw new Error(`gpg ${args.join(" ")}: ${out.stderr}`);
    return out.stdout;
  };
  for (const uid of ["Test Signer <test@example.com>", "Other Signer <other@example.com>"]) {
    await gpg("--passphrase", "", "--quick-gen-key", uid, "rsa2048", "sign", "never");
  }
  const secring = `${dir}/secring.gpg`;
  const pubring = `${dir}/pubring.gpg`;
  const otherRing = `${dir}/other.gpg`;
  await gpg("--output", secring, "--export-secret-keys", "Test Signer");
  await gpg("--output", pubring, "--export", "Test Signer");
  await gpg("--output", otherRing, "--export", "Other Signer");
  return { home, env, gpg, secring, pubring, otherRing };
}
