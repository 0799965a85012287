/**
 * One HTTP exchange under two clocks: the idle timeout (the registry may not stay silent longer,
 * while h3 waits for headers or for the next chunk of a body) and an overall deadline (the whole
 * exchange, body included, must end in time: a registry sending a byte a second is stopped).
 * Every request h3 sends, token requests included, goes through `timedFetch`. A small body read
 * whole at once (`Clocks.whole`) is bounded by one timer for the whole exchange instead.
 * @module
 */
import type { FetchLike } from "./options.ts";
import { RegistryError } from "../errors.ts";
import { withRegistry } from "./_errors.ts";
import { ReadTimeout, withIdleTimeout } from "./http.ts";
import { wholeBlobSize } from "../target.ts";

/** A request that went on past its overall deadline; not worth trying again. */
export class RequestDeadline extends RegistryError {
  override name = "RequestDeadline";
  /** What happened, without the host: `did not finish within 600s`. */
  readonly detail: string;
  /** The deadline of a request to `registry` doing `what`, after `ms`. */
  constructor(registry: string, what: string, ms: number) {
    const detail = `did not finish within ${ms / 1000}s (the limit for one request)`;
    super(`${withRegistry(registry, what)}: ${detail}`, 0, "TIMEOUT");
    this.detail = detail;
  }
}

/** The clocks of one exchange, and what to name in their errors. */
export interface Clocks {
  /** Idle timeout, milliseconds. */
  timeoutMs: number;
  /** Overall deadline, milliseconds. */
  deadlineMs: number;
  /** The host named in errors. */
  registry: string;
  /** What the request does, for errors. */
  what: string;
  /**
   * The body is read whole at once, and the reader calls `bodyRead` once done with it. When the
   * response announces a small body (a `Content-Length` of at most `wholeBlobSize`), one timer,
   * the idle timeout or the deadline when that is sooner, bounds the whole exchange, headers and
   * body (the body must arrive within one idle timeout), instead of a stream timing each read.
   */
  whole?: boolean;
}

/** By response of a `whole` exchange: what drops its timer (see `bodyRead`). */
const bodyTimers = new WeakMap<Response, () => void>();

/**
 * Tells the clock of a `whole` exchange that its body was read (or given up): its timer is
 * dropped. A timer never dropped only fires later, into an exchange that is over already.
 */
export function bodyRead(response: Response): void {
  bodyTimers.get(response)?.();
}

/** The body size a response announces (`Content-Length`), when it is one under 10^8 bytes. */
export function announcedLength(response: Response): number | undefined {
  const length = response.headers.get("content-length");
  return length !== null && /^\d{1,8}$/.test(length) ? Number(length) : undefined;
}

/** Whether the response announces a body of at most `wholeBlobSize` bytes. */
function smallBody(response: Response): boolean {
  return (announcedLength(response) ?? Infinity) <= wholeBlobSize;
}

/** Sends `init` to `url` with `fetch` under the idle timeout and the deadline of `clocks`. */
export async function timedFetch(
  fetch: FetchLike,
  url: URL,
  init: RequestInit,
  clocks: Clocks,
): Promise<Response> {
  const { timeoutMs, deadlineMs, registry, what } = clocks;
  const controller = new AbortController();
  const timeout = () => new ReadTimeout(registry, what, timeoutMs);
  const late = () => new RequestDeadline(registry, what, deadlineMs);
  const at = performance.now() + deadlineMs;
  // Until the headers come, one timer: the idle timeout, or the deadline when that is sooner.
  const headers = deadlineMs < timeoutMs ? late : timeout;
  const silent = setTimeout(() => controller.abort(headers()), Math.min(timeoutMs, deadlineMs));
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: controller.signal });
  } catch (error) {
    clearTimeout(silent);
    throw error;
  }
  if (clocks.whole && init.method !== "HEAD" && smallBody(response)) {
    // The same timer bounds the body (its abort fails the body's reads with the error); it no
    // longer keeps the process alive, as a body left unread must not.
    Deno.unrefTimer(silent);
    bodyTimers.set(response, () => clearTimeout(silent));
    return response;
  }
  clearTimeout(silent);
  if (init.method === "HEAD") return response; // no body follows the headers
  return withIdleTimeout(
    response,
    timeoutMs,
    timeout,
    (reason) => controller.abort(reason),
    { at, error: late },
  );
}
