/**
 * The docs' transcripts: shell sessions in README.md and docs/*.md that a test runs as written,
 * so that every output the docs show is what h3 prints today.
 *
 * In a page, a fenced block right after `<!-- transcript -->` is a session: `$ COMMAND` lines
 * (a `  # comment` after two spaces is dropped), each followed by what it prints (stdout and
 * stderr together). A line `...` in an output stands for any number of lines. A comment block
 * `<!-- setup` ... `-->` holds `$` lines that run unseen, to prepare what the next block shows.
 * All blocks of one page run in order in one bash session, in a fresh temp directory with its own
 * HELM_HOME, DOCKER_CONFIG and HOME, `h3` on PATH, a registry standing for `localhost:5000`, and the
 * chart `mychart/` of tests/fixtures copied in.
 * @module
 */

/** One `$` line and the lines it is shown to print. */
export interface Step {
  command: string;
  /** Expected lines; undefined for setup steps, whose output is not shown. */
  expected?: string[];
  /** 1-based line of the command in the page. */
  line: number;
}

/** A fenced transcript block: where its output lines sit in the page, to rewrite them. */
export interface Block {
  /** Index of the opening fence line (0-based). */
  open: number;
  /** Index of the closing fence line (0-based). */
  close: number;
  steps: Step[];
}

/** A page's sessions, in order. */
export interface Transcript {
  steps: Step[];
  blocks: Block[];
}

/** Reads the transcript blocks and setup comments of one markdown page. */
export function parseTranscript(markdown: string): Transcript {
  const lines = markdown.split("\n");
  const steps: Step[] = [];
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === "<!-- setup") {
      for (i++; i < lines.length && lines[i].trim() !== "-->"; i++) {
        if (lines[i].startsWith("$ ")) steps.push({ command: command(lines[i]), line: i + 1 });
      }
    } else if (lines[i].trim() === "<!-- transcript -->") {
      let open = i + 1;
      while (open < lines.length && lines[open].trim() === "") open++;
      if (!lines[open]?.startsWith("```")) throw new Error(`line ${i + 1}: no block after marker`);
      let close = open + 1;
      while (close < lines.length && !lines[close].startsWith("```")) close++;
      const block: Block = { open, close, steps: [] };
      for (let j = open + 1; j < close; j++) {
        if (lines[j].startsWith("$ ")) {
          block.steps.push({ command: command(lines[j]), expected: [], line: j + 1 });
        } else if (block.steps.length === 0) {
          throw new Error(`line ${j + 1}: a transcript starts with a "$ " line`);
        } else block.steps.at(-1)!.expected!.push(lines[j]);
      }
      steps.push(...block.steps);
      blocks.push(block);
      i = close;
    }
  }
  return { steps, blocks };
}

function command(line: string): string {
  return line.slice(2).split(/ {2,}# /)[0].trim();
}

/** What stands in for the session's own values when outputs are compared or written back. */
export interface Substitutions {
  /** The real `host:port` of the registry that `localhost:5000` stands for. */
  registry: string;
  /** The session's HOME, shown in docs as `/home/alice`. */
  home: string;
}

/** An actual output line as the docs show it: the registry as localhost:5000, HOME as /home/alice. */
export function asShown(line: string, subs: Substitutions): string {
  return [[subs.registry, "localhost:5000"], [subs.home, "/home/alice"]].reduce(
    (text, [from, to]) =>
      // a table cell keeps its column: the spaces after it make up for the shorter text
      text.replace(
        new RegExp(`${escape(from)}(\\S*)( {2,}|$)|${escape(from)}`, "g"),
        (_, rest: string | undefined, gap: string | undefined) =>
          rest === undefined ? to : to + rest +
            (gap ? " ".repeat(Math.max(2, gap.length + from.length - to.length)) : ""),
      ),
    line,
  );
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * A line as compared: an age in a table ("Less than a second", "3 seconds") and a JSON `created`
 * time depend on the clock, and runs of spaces on the width of other cells.
 */
export function comparable(line: string): string {
  return line
    .replace(/(Less than a second|\d+ (second|minute|hour|day|week|month|year)s?)\s*$/, "<age>")
    .replace(/"created": "[^"]*"/g, '"created": "<time>"')
    .replace(/ {2,}/g, " ")
    .trimEnd();
}

/** Whether `actual` matches `expected`, where an expected line `...` matches any run of lines. */
export function matches(expected: string[], actual: string[]): boolean {
  const want = expected.map(comparable);
  const got = actual.map(comparable);
  const memo = new Map<string, boolean>();
  const match = (i: number, j: number): boolean => {
    const key = `${i},${j}`;
    if (memo.has(key)) return memo.get(key)!;
    let result: boolean;
    if (i === want.length) result = j === got.length;
    else if (want[i] === "...") result = match(i + 1, j) || (j < got.length && match(i, j + 1));
    else result = j < got.length && want[i] === got[j] && match(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return match(0, 0);
}

/**
 * Asserts that a docs page shows a line h3 printed in a test: the line is taken from `printed`
 * (the first line matching `pattern`), the test's hosts are replaced by the ones the page uses
 * (`hosts`: real → shown), and the page must contain the result. For outputs a transcript cannot
 * show (a token service, a mirror, a registry's headers), so the page cannot drift from h3.
 */
export async function assertDocShows(
  page: string,
  printed: string,
  pattern: RegExp,
  hosts: Record<string, string>,
): Promise<void> {
  const line = printed.split("\n").find((l) => pattern.test(l));
  if (line === undefined) throw new Error(`no printed line matches ${pattern}`);
  let shown = line.trim();
  for (const [real, docs] of Object.entries(hosts)) shown = shown.replaceAll(real, docs);
  const text = await Deno.readTextFile(new URL(`../../${page}`, import.meta.url));
  if (!text.includes(shown)) {
    throw new Error(`${page} does not show what h3 prints now: ${JSON.stringify(shown)}`);
  }
}
