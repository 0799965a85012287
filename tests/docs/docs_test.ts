/**
 * Every shell session shown in README.md and docs/*.md runs as written, and prints what the page
 * shows (see tests/helpers/transcripts.ts for the rules). After a change to what h3 prints, write
 * the new outputs into the pages with `H3_UPDATE_DOCS=1 deno test -A tests/docs/docs_test.ts`, then read
 * the diff.
 */
import assert from "node:assert/strict";
import {
  asShown,
  matches,
  parseTranscript,
  type Step,
  type Substitutions,
  type Transcript,
} from "../helpers/transcripts.ts";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { startHtpasswdRegistry } from "../helpers/htpasswd_registry.ts";
import { fixtureChart } from "../helpers/charts.ts";
import { freePort } from "../../scripts/_registry.ts";

const root = new URL("../../", import.meta.url).pathname;
const update = Deno.env.get("H3_UPDATE_DOCS") === "1";
const denoDir = Deno.env.get("DENO_DIR") ||
  `${Deno.env.get("XDG_CACHE_HOME") || `${Deno.env.get("HOME")}/.cache`}/deno`;

const pages = [
  "README.md",
  ...[...Deno.readDirSync(`${root}docs`)].filter((e) => e.name.endsWith(".md"))
    .map((e) => `docs/${e.name}`).sort(),
];

const marker = (i: number) => `@@h3-docs-step-${i}@@`;

/** One bash script for the whole page: each step's output follows its marker line. */
function script(steps: Step[], port: number): string {
  const lines = [
    "set -m", // background jobs get their own process group, so they can be stopped
    "shopt -s expand_aliases",
    // bash reports each stopped job ("[1]+ Interrupt ...") on stderr: quiet at the page's end
    `stop() { exec 2>/dev/null; for job in $(jobs -p); do kill -INT -- -$job; done; wait; }`,
    "trap stop EXIT",
    "h3_docs_rc=0",
  ];
  steps.forEach((step, i) => {
    lines.push(`printf '\\n%s\\n' '${marker(i)}'`, "(exit $h3_docs_rc)"); // $? is the last step's
    let command = step.command.replaceAll("localhost:5000", `localhost:${port}`);
    const registry = /^deno task registry\b/.test(command);
    if (registry) {
      command = command.replace("deno task registry", `deno task registry --port ${port}`);
    }
    lines.push(`{ ${command}\n} 2>&1`, "h3_docs_rc=$?");
    if (registry) {
      lines.push(
        `for i in $(seq 150); do (: > /dev/tcp/127.0.0.1/${port}) 2>/dev/null && break; sleep 0.1; done`,
      );
    }
  });
  lines.push(`printf '\\n%s\\n' '${marker(steps.length)}'`);
  return lines.join("\n") + "\n";
}

/** Runs a page's steps; returns each step's output lines as the docs would show them. */
async function run(page: string, text: string, transcript: Transcript): Promise<string[][]> {
  const dir = await Deno.makeTempDir({ prefix: "h3-docs-" });
  const ownsRegistry = transcript.steps.some((s) => /^deno task registry\b/.test(s.command));
  let registry: TestRegistry | undefined;
  try {
    const home = `${dir}/home`;
    const work = `${dir}/work`;
    const bin = `${dir}/bin`;
    for (const d of [home, work, bin, `${dir}/tmp`]) await Deno.mkdir(d);
    await Deno.writeTextFile(
      `${bin}/h3`,
      `#!/bin/sh\nexec "${Deno.execPath()}" run -A --quiet "${root}main.ts" "$@"\n`,
      { mode: 0o755 },
    );
    await new Deno.Command("cp", { args: ["-r", fixtureChart, work] }).output();
    let port: number;
    if (ownsRegistry) port = freePort();
    else {
      // `<!-- registry: htpasswd USER PASSWORD -->` in a page: its registry asks for that login
      const login = text.match(/<!-- registry: htpasswd (\S+) (\S+) -->/);
      registry = login
        ? await startHtpasswdRegistry(dir, login[1], login[2])
        : await startRegistry();
      port = Number(registry.host.split(":")[1]);
    }
    const env = {
      PATH: `${bin}:${Deno.env.get("PATH")}`,
      HOME: home,
      HELM_HOME: `${home}/.helm`,
      DOCKER_CONFIG: `${home}/.docker`,
      TMPDIR: `${dir}/tmp`,
      DENO_DIR: denoDir,
      NO_COLOR: "1",
      CI: "true",
      H3_SRC: root.replace(/\/$/, ""), // fixtures: "$H3_SRC/tests/fixtures/docs/..."
      SOURCE_DATE_EPOCH: "1767225600", // 2026-01-01: manifests' created time, where honoured
    };
    const child = new Deno.Command("bash", {
      args: ["-c", script(transcript.steps, port)],
      cwd: page === "README.md" ? root : work,
      env,
      clearEnv: true,
      stdout: "piped",
      stderr: "inherit",
    });
    const output = new TextDecoder().decode((await child.output()).stdout);
    const subs: Substitutions = { registry: `localhost:${port}`, home };
    return transcript.steps.map((_, i) => {
      const start = output.indexOf(`${marker(i)}\n`);
      const end = output.indexOf(`\n${marker(i + 1)}\n`);
      assert.ok(start >= 0 && end >= start, `${page}: step ${i + 1} ran`);
      const text = output.slice(start + marker(i).length + 1, end).replace(/\n+$/, "");
      return text === "" ? [] : text.split("\n").map((line) => asShown(line, subs));
    });
  } finally {
    await registry?.[Symbol.asyncDispose]();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** The code blocks after `<!-- file: PATH -->` whose text is not PATH's (a repo file) as it is. */
function staleFiles(page: string, text: string): string[] {
  const stale: string[] = [];
  for (const match of text.matchAll(/<!-- file: (\S+) -->\s*```\w*\n([\s\S]*?)```/g)) {
    if (Deno.readTextFileSync(`${root}${match[1]}`) !== match[2]) {
      stale.push(`${page}: the block shown as ${match[1]} is not that file`);
    }
  }
  return stale;
}

for (const page of pages) {
  const text = Deno.readTextFileSync(`${root}${page}`);
  if (text.includes("<!-- file: ")) {
    Deno.test(`${page}: every file it shows is the file the sessions use`, () => {
      assert.deepEqual(staleFiles(page, text), []);
    });
  }
  const transcript = parseTranscript(text);
  if (transcript.blocks.length === 0) continue;
  Deno.test(`${page}: every session it shows prints what it shows`, async () => {
    const outputs = await run(page, text, transcript);
    const mismatches: string[] = [];
    transcript.steps.forEach((step, i) => {
      if (step.expected && !matches(step.expected, outputs[i])) {
        mismatches.push(
          `${page}:${step.line}: $ ${step.command}\n--- shown\n${step.expected.join("\n")}\n` +
            `--- printed\n${outputs[i].join("\n")}`,
        );
        if (update) step.expected = outputs[i];
      }
    });
    if (update && mismatches.length > 0) {
      const lines = text.split("\n");
      for (const block of [...transcript.blocks].reverse()) {
        const body = block.steps.flatMap((s) => [
          lines[s.line - 1],
          ...s.expected!,
        ]);
        lines.splice(block.open + 1, block.close - block.open - 1, ...body);
      }
      await Deno.writeTextFile(`${root}${page}`, lines.join("\n"));
      console.log(`${page}: ${mismatches.length} outputs written`);
      return;
    }
    assert.equal(
      mismatches.length,
      0,
      `${mismatches.join("\n\n")}\n\n(if h3 is right, write the outputs into the page: ` +
        `H3_UPDATE_DOCS=1 deno test -A tests/docs/docs_test.ts)`,
    );
  });
}
