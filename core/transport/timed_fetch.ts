/**
 * One HTTP exchange under two clocks: the idle timeout (the registry may not stay silent longer,
 * while h3 waits for headers or for the next chunk of a body) and an overall deadline (the whole
 * exchange, body included, must end in time: a registry sending a byte a second is stopped).
 * Every request h3 sends, token requests included, goes through `timedFetch`.
 * @module
 */
import type { FetchLike } from "./options.ts";
import { RegistryError } from "../errors.ts";
import { withRegistry } from "./_errors.ts";
import { ReadTimeout, withIdleTimeout } from "./http.ts";

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
  } finally {
    clearTimeout(silent);
  }
  if (init.method === "HEAD") return response; // no body follows the headers
  return withIdleTimeout(
    response,
    timeoutMs,
    timeout,
    (reason) => controller.abort(reason),
    { at, error: late },
  );
}
