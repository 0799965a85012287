/**
 * What push and pull share: refs run concurrently with each ref's lines printed together when it
 * ends (a failure reported as `Error: REF: ...` while the others go on), copy events drawn as
 * progress bars, and `--output json` / `--quiet` for scripts.
 * @module
 */
import pLimit from "p-limit";
import { type OciLayout, openCache } from "../core/cache/layout.ts";
import type { CopyEvent } from "../core/copy.ts";
import { errorMessage, H3Error, PartialFailure } from "../core/errors.ts";
import { describeError, UsageError } from "./_errors.ts";
import { shortDigest } from "../core/oci/descriptor.ts";
import { parseReference, type Reference } from "../core/ref.ts";
import type { Repository } from "../core/transport/repository.ts";
import { outputFormat, printJson } from "./ui/output.ts";
import { type ProgressBars, progressBars } from "./ui/progress.ts";
export { reportArgs } from "./_output.ts";
import {
  debugEnabled,
  refConcurrency,
  RegistryOpener,
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
export type RefReport = { ref: string } & RefOutcome;

/** What the work for one ref gets. */
export interface RefJob {
  /** The ref as the user typed it. */
  input: string;
  /** The ref as parsed (without a tag or digest when typed so: the command resolves it). */
  ref: Reference;
  /** Its registry repository, reached with the settings in force for its host. */
  repository: Repository;
  /** The local cache. */
  cache: OciLayout;
  /** Prints a line of this ref's output. */
  print: (line: string) => void;
  /** Copy events drawn as progress bars (undefined without a terminal). */
  onEvent?: (event: CopyEvent) => void;
}

/** What the work for one ref gets when no registry is involved (a layout at the far end). */
export type LocalJob = Omit<RefJob, "ref" | "repository">;

/**
 * Runs a transfer command: the transport flags resolved, one registry client per host, progress
 * bars on a terminal (not with `--debug`, whose request lines go to stderr), and `work` run for
 * each ref as `forEachRef` does.
 */
export async function transferEach(
  values: TransportValues & { refs?: string[]; output?: string; quiet?: boolean },
  work: (job: RefJob) => Promise<RefOutcome>,
  /** `pull`: read from the first mirror that has the ref (registries.conf, h3's config). */
  options: { pull?: boolean } = {},
): Promise<void> {
  const flags = transportFlags(values);
  const debug = debugEnabled() ? (line: string) => printError(line) : undefined;
  using opener = new RegistryOpener(flags, debug);
  await reportEach(values, async (job) => {
    const ref = parseReference(job.input);
    const repository = options.pull
      ? await opener.openForPull(ref, ref.digest ?? ref.tag)
      : await opener.open(ref);
    return await work({ ...job, ref, repository });
  });
}

/**
 * Runs `work` for each ref as `forEachRef` does, with progress bars on a terminal (not with
 * `--debug`), the lines of each ref together, and `--output json` / `--quiet` as asked.
 */
export async function reportEach(
  values: TransportValues & { refs?: string[]; output?: string; quiet?: boolean },
  work: (job: LocalJob) => Promise<RefOutcome>,
): Promise<void> {
  if (!values.refs?.length) throw new UsageError("missing REF: give at least one chart reference");
  const format = outputFormat(values.output ?? "text", ["text", "json"]);
  const reports: RefReport[] = [];
  const concurrency = await refConcurrency(transportFlags(values));
  const bars = debugEnabled() ? undefined : progressBars();
  const cache = await openCache();
  const silent = format === "json" || values.quiet === true;
  try {
    await forEachRef(values.refs, concurrency, async (input, print) => {
      const onEvent = progressEvents(bars, input);
      const quietPrint = silent ? () => {} : print;
      try {
        reports.push({ ref: input, ...await work({ input, cache, print: quietPrint, onEvent }) });
      } catch (error) {
        reports.push({ ref: input, status: "failed", error: describeError(naming(error, input)) });
        throw error;
      }
    }, bars);
  } finally {
    bars?.close();
    if (format === "json") {
      const order = new Map(values.refs.map((r, i) => [r, i]));
      printJson(reports.sort((a, b) => order.get(a.ref)! - order.get(b.ref)!));
    }
  }
}

/**
 * Runs `work` for each ref, `concurrency` at a time. One ref prints as it goes and its error is
 * thrown; with several, each ref's lines are printed together when it is done, failures are
 * reported on stderr, and a `PartialFailure` is thrown at the end if any failed.
 */
async function forEachRef(
  refs: string[],
  concurrency: number,
  work: (input: string, print: (line: string) => void) => Promise<void>,
  bars?: ProgressBars,
): Promise<void> {
  const emit = (write: () => void) => bars ? bars.around(write) : write();
  if (refs.length === 1) {
    try {
      await work(refs[0], (line) => emit(() => print(line)));
    } catch (error) {
      throw naming(error, refs[0]);
    }
    return;
  }
  const limit = pLimit(concurrency);
  const failed: string[] = [];
  await Promise.all(refs.map((input) =>
    limit(async () => {
      const lines: string[] = [];
      try {
        await work(input, (line) => lines.push(line));
        emit(() => lines.forEach((line) => print(line)));
      } catch (error) {
        failed.push(input);
        emit(() => {
          lines.forEach((line) => print(line));
          printError(`Error: ${safeLine(describeError(naming(error, input)))}`);
        });
      }
    })
  ));
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
