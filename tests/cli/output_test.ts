import assert from "node:assert/strict";
import { UsageError } from "../../commands/_errors.ts";
import { outputFormat } from "../../commands/ui/output.ts";

const output = new URL("../../commands/ui/output.ts", import.meta.url).href;
const probe = `import { paint, progressEnabled } from "${output}";
console.log(JSON.stringify([paint("ok", "green"), progressEnabled(Deno.stdout)]));`;

/** Runs the probe on a pseudo-terminal (util-linux `script`) or a pipe; returns what it saw. */
async function probeOutput(terminal: boolean, env: Record<string, string>): Promise<unknown> {
  const deno = `${Deno.execPath()} eval --quiet '${probe}'`;
  const [command, args] = terminal ? ["script", ["-qec", deno, "/dev/null"]] : ["sh", ["-c", deno]];
  const base = { PATH: Deno.env.get("PATH") ?? "", HOME: Deno.env.get("HOME") ?? "/" };
  const out = await new Deno.Command(command, { args, env: { ...base, ...env }, clearEnv: true })
    .output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const text = new TextDecoder().decode(out.stdout);
  return JSON.parse(text.slice(text.indexOf("[")).trim());
}

const hasScript = await new Deno.Command("script", { args: ["--version"] }).output()
  .then((o) => o.success, () => false);

Deno.test({
  name: "colour only on a terminal and never with NO_COLOR; progress not under CI",
  ignore: !hasScript,
  fn: async () => {
    assert.deepEqual(await probeOutput(true, {}), ["\x1b[32mok\x1b[0m", true]);
    assert.deepEqual(await probeOutput(true, { NO_COLOR: "1" }), ["ok", false]);
    assert.deepEqual(await probeOutput(true, { CI: "true" }), ["\x1b[32mok\x1b[0m", false]);
    assert.deepEqual(await probeOutput(false, {}), ["ok", false]);
  },
});

Deno.test("--output values are checked against what the command supports", () => {
  assert.equal(outputFormat("json", ["table", "json"]), "json");
  assert.throws(
    () => outputFormat("yaml", ["table", "json"]),
    (e) => e instanceof UsageError && e.message === 'invalid --output "yaml": use table or json',
  );
});
