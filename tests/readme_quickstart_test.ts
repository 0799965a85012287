/**
 * The README's quick start, run as written: its `$` lines against `deno task registry`, each
 * command's output compared line by line with the README (only the CREATED age may differ).
 */
import assert from "node:assert/strict";
import { sandbox } from "./helpers/cli.ts";
import { freePort, waitForPort } from "../scripts/_registry.ts";

const root = new URL("../", import.meta.url).pathname;

interface Step {
  command: string;
  output: string[];
}

/** The `$` commands of the README block marked `<!-- quickstart -->`, with their printed lines. */
async function quickStart(): Promise<Step[]> {
  const readme = await Deno.readTextFile(`${root}README.md`);
  const block = readme.match(/<!-- quickstart -->\s*```\w*\n([\s\S]*?)\n```/)?.[1];
  assert.ok(block, "README.md has a quick start block");
  const steps: Step[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("$ ")) {
      steps.push({ command: line.slice(2).split("  #")[0].trim(), output: [] });
    } else steps.at(-1)?.output.push(line);
  }
  return steps;
}

/**
 * A line as compared: a list line's age ("Less than a second", "3 seconds") depends on the clock,
 * and the registry's random port can move the table's padding (alignment is tested in ui_test.ts).
 */
function comparable(line: string): string {
  return line.replace(/(\d+ B|\S+ [KMG]iB)\s+(Less than a second|\d+ seconds?)$/, "$1 <age>")
    .replace(/ {2,}/g, " ");
}

Deno.test("the README quick start runs word for word against deno task registry", async () => {
  const steps = await quickStart();
  assert.ok(steps.some((s) => s.command.startsWith("h3 chart push")), "the block pushes");
  await using box = await sandbox();
  const port = freePort();
  let registry: Deno.ChildProcess | undefined;
  const local = (s: string) => s.replaceAll("localhost:5000", `localhost:${port}`);
  try {
    for (const step of steps) {
      const words = step.command.split(/\s+/);
      if (step.command === "deno task registry &") {
        registry = new Deno.Command(Deno.execPath(), {
          args: ["task", "--quiet", "--cwd", root, "registry", "--port", String(port)],
          stdout: "null",
          stderr: "null",
        }).spawn();
        assert.ok(await waitForPort(port, registry), "deno task registry listens");
      } else if (words[0] === "cp") {
        await new Deno.Command("cp", {
          args: words.slice(1).map((w) => w.startsWith("tests/") ? root + w : w),
          cwd: box.dir,
        }).output();
      } else if (words[0] === "rm") {
        await Deno.remove(`${box.dir}/${words.at(-1)}`, { recursive: true });
      } else if (words[0] === "h3") {
        const result = await box.run(words.slice(1).map(local));
        assert.equal(result.code, 0, `${step.command}\n${result.stderr}`);
        assert.deepEqual(
          result.stdout.trimEnd().split("\n").map(comparable),
          step.output.map(local).map(comparable),
          step.command,
        );
      } else {
        assert.ok(words[0] === "alias", `a step the test knows: ${step.command}`);
      }
    }
  } finally {
    if (registry) {
      registry.kill("SIGINT");
      await registry.status;
    }
  }
});
