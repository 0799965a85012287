/**
 * What push and pull share: refs run concurrently with each ref's lines printed together when it
 * ends (a failure reported as `Error: REF: ...` while the others go on), copy events drawn as
 * progress bars, and `--output json` / `--quiet` for scripts.
 * @module
 */
import type { CopyEvent } from "../core/copy.ts";
import type { H3 } from "../core/h3.ts";
import { errorMessage, H3Error, PartialFailure } from "../core/errors.ts";
import { describeError, UsageError } from "./_errors.ts";
import { shortDigest } from "../core/oci/descriptor.ts";
import { eachInSlots } from "../core/slots.ts";
import { outputFormat, printJson } from "./ui/output.ts";
import { type ProgressBars, progressBars } from "./ui/progress.ts";
export { reportArgs } from "./_output.ts";
import {
  debugEnabled,
  openCommandClient,
  transportFlags,
  type TransportValues,
} from "./_transport_flags.ts";
import { print, printError, safeLine } from "./ui/safe_text.ts";

/** What the work for one ref reports: its status and the chart's details. */
export interface RefOutcome {
  /** What happened: the command's verb (`pushed`, `downloaded`, `up-to-date`) or `failed`. */
  status: string;
  /** The error's one line, when `status` is `failed`. */
  error?: string;
  [detail: string]: unknown;
}

/** One ref's outcome as `--output json` prints it (an array of these, in the order given). */
type RefReport = { ref: string } & RefOutcome;

/** What the work for one ref gets. */
export interface RefJob {
  /** The ref as the user typed it. */
  input: string;
  /** The command's client (one for every ref). */
  h3: H3;
  /** Prints a line of this ref's output. */
  print: (line: string) => void;
  /** Copy events drawn as progress bars (undefined without a terminal). */
  onEvent?: (event: CopyEvent) => void;
  /** Names the ref otherwise in its errors and JSON report from now on (a `.tgz`: its target). */
  rename: (ref: string) => void;
  /**
   * Lets the next ref start while this one only waits for its tag to be written with others
   * (`onQueued` of a pull into the cache); the ref is still reported only once its work ends.
   */
  queued: () => void;
  /**
   * Lets the next ref start in this one's slot while this one waits for another ref's transfer of
   * the same chart (`onWaiting` of a pull or push); this one still has work after its wait.
   */
  waiting: () => void;
}

/**
 * Runs a transfer command on one client (the transport flags resolved): `work` for each ref,
 * `--concurrency` at a time, with progress bars on a terminal (not with `--debug`, whose request
 * lines go to stderr), the lines of each ref together, and `--output json` / `--quiet` as asked.
 */
export async function transferEach(
  values: TransportValues & { refs?: string[]; output?: string; quiet?: boolean },
  work: (job: RefJob) => Promise<RefOutcome>,
): Promise<void> {
  const flags = transportFlags(values);
  const refs = values.refs;
  if (!refs?.length) throw new UsageError("missing REF: give at least one chart reference");
  const format = outputFormat(values.output ?? "text", ["text", "json"]);
  // Kept for `--output json` only: thousands of refs' reports are memory held to the end.
  const reports: RefReport[] = [];
  const json = format === "json";
  await using h3 = await openCommandClient(flags);
  const concurrency = await h3.concurrency();
  const bars = debugEnabled() ? undefined : progressBars();
  const silent = json || values.quiet === true;
  try {
    // Once every ref has queued its tag or ended, the tags waiting for index.json wait no more.
    const allQueued = () => h3.cache.flushTags();
    await forEachRef(
      refs,
      concurrency,
      async (index, print, queued, waiting) => {
        let name = refs[index];
        const onEvent = progressEvents(bars, name);
        const job = { input: name, h3, print: silent ? () => {} : print, onEvent, queued, waiting };
        try {
          const outcome = await work({ ...job, rename: (ref) => name = ref });
          if (json) reports[index] = { ref: name, ...outcome };
        } catch (error) {
          const named = naming(error, name);
          if (json) reports[index] = { ref: name, status: "failed", error: describeError(named) };
          throw named;
        }
      },
      bars,
      allQueued,
    );
  } finally {
    bars?.close();
    if (json) printJson(reports.filter(Boolean));
  }
}

/** A ref's lines in one write (a write to a pipe costs ~10 µs: a bulk push prints 6 a ref). */
function printLines(lines: string[]): void {
  if (lines.length) print(lines.join("\n"));
}

/**
 * Runs `work` for each ref (by its index), `concurrency` at a time; `work` names the ref in its
 * errors, and gives its slot to the next ref early by calling `queued` (done but for a batched
 * write) or `waiting` (waiting for another ref's work, then going on). One ref prints as it goes
 * and its error is thrown; with several, each ref's lines are printed together when it is done,
 * failures are reported on stderr, and a `PartialFailure` is thrown at the end if any failed.
 * `allQueued` is called once every ref has queued its tag or ended (see `eachInSlots`).
 */
async function forEachRef(
  refs: string[],
  concurrency: number,
  work: (
    index: number,
    print: (line: string) => void,
    queued: () => void,
    waiting: () => void,
  ) => Promise<void>,
  bars?: ProgressBars,
  allQueued?: () => void,
): Promise<void> {
  const emit = (write: () => void) => bars ? bars.around(write) : write();
  if (refs.length === 1) {
    return await work(0, (line) => emit(() => print(line)), () => {}, () => {});
  }
  const failed: string[] = [];
  const run = async (input: string, index: number, release: () => void, aside: () => void) => {
    const lines: string[] = [];
    try {
      await work(index, (line) => lines.push(line), release, aside);
      emit(() => printLines(lines));
    } catch (error) {
      failed.push(input);
      emit(() => {
        printLines(lines);
        printError(`Error: ${safeLine(describeError(error))}`);
      });
    }
  };
  // A ref holds its slot until its work ends or it lets the slot go early (`queued`), or steps
  // aside while it waits for another ref's transfer (`waiting`).
  await eachInSlots(
    refs.length,
    concurrency,
    (index, release, stepAside) => run(refs[index], index, release, () => void stepAside()),
    allQueued,
  );
  if (failed.length) {
    throw new PartialFailure(
      `${failed.length} of ${refs.length} refs failed: ${failed.join(", ")}`,
    );
  }
}

/** Whether `message` names the reference `input` already (with or without `oci://`). */
export function namesRef(message: string, input: string): boolean {
  return message.includes(input) || message.includes(input.replace(/^oci:\/\//, ""));
}

/** The error with `ref` in front of its message, unless the message names it already. */
function naming(error: unknown, ref: string): unknown {
  if (error instanceof H3Error && !namesRef(error.message, ref)) {
    error.message = `${ref}: ${error.message}`;
  }
  return error instanceof H3Error
    ? error
    : new H3Error(`${ref}: ${errorMessage(error)}`, { cause: error });
}

/** Copy events of one ref as progress bars (a bar per blob while it moves); none without bars. */
export function progressEvents(
  bars: ProgressBars | undefined,
  ref: string,
): ((event: CopyEvent) => void) | undefined {
  if (!bars) return undefined;
  return (event) => {
    const id = `${ref} ${event.desc.digest}`;
    if (event.kind === "start") {
      const what = event.role === "config" ? "meta" : "content";
      bars.start(id, `${shortDigest(event.desc.digest)}: ${what}`, event.desc.size);
    } else if (event.kind === "progress") {
      bars.update(id, event.transferred);
    } else if (event.kind === "done") {
      bars.finish(id);
    }
  };
}
