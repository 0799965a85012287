/**
 * The hidden password prompt on a real terminal (a pty made by util-linux `script`): a SIGINT or
 * SIGTERM while it waits leaves the terminal sane (echo and line mode back on), ends the prompt's
 * line, and exits 130 with the one interrupt line.
 */
import assert from "node:assert/strict";
import { denoDir, h3Entry, sandbox } from "../helpers/cli.ts";

const script = ["/usr/bin/script", "/bin/script"].find((path) => {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
});

/**
 * A shell session on a pty: h3 asks for a password, the session waits (bounded) until the
 * terminal is in raw mode, sends `signal`, then reports h3's exit code and the terminal's modes.
 */
function session(signal: string, log: string): string {
  const h3 = `${Deno.execPath()} run -A --quiet ${h3Entry()}`;
  return [
    `${h3} registry login 127.0.0.1:9 -u me </dev/tty 2>&1 &`,
    "pid=$!",
    "for i in $(seq 1 600); do stty -a </dev/tty | grep -q -- -icanon && break; sleep 0.05; done",
    `stty -a </dev/tty | grep -o -- '-\\?icanon' > ${log}`,
    `kill -${signal} $pid; wait $pid; echo "code=$?" >> ${log}`,
    `stty -a </dev/tty | grep -o -- '-\\?icanon\\|-\\?echo\\b' | head -n 2 | tr '\\n' ' ' >> ${log}`,
  ].join("\n");
}

for (const signal of ["TERM", "INT"]) {
  Deno.test({
    name: `SIG${signal} at the password prompt: the terminal is restored, the line ended, exit 130`,
    ignore: script === undefined,
    fn: async () => {
      await using box = await sandbox();
      const log = `${box.dir}/log`;
      await Deno.writeTextFile(`${box.dir}/session.sh`, session(signal, log));
      const output = await new Deno.Command(script!, {
        args: ["-qec", `bash ${box.dir}/session.sh`, "/dev/null"],
        cwd: box.dir,
        env: { ...box.env, NO_COLOR: "1", DENO_DIR: denoDir },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const screen = new TextDecoder().decode(output.stdout).replaceAll("\r", "");
      const [raw, code, after] = (await Deno.readTextFile(log)).split("\n");
      assert.equal(raw, "-icanon", "the prompt put the terminal in raw mode");
      assert.equal(code, "code=130", screen);
      assert.equal(after.trim(), "icanon echo", "line mode and echo are back on");
      assert.equal(
        screen,
        `Password: \nError: interrupted (SIG${signal}); this run's temp files were removed\n`,
      );
    },
  });
}
