/**
 * When to try a request again: on 429, 5xx and dropped connections, after a capped exponential
 * backoff with jitter or the registry's `Retry-After`, within a bounded total time.
 * @module
 */

/** Tries per request, the first included. */
export const maxAttempts = 5;
/** First backoff delay; doubles each retry. */
const baseDelayMs = 250;
/** No single wait is longer than this, whatever the registry asks. */
const maxDelayMs = 10_000;

/** Whether a status means "try again later": 408, 429, and 5xx except 501 and 505. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505);
}

/** Milliseconds a `Retry-After` header asks for (delta-seconds or an HTTP date); else undefined. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Most a `Retry-After` wait is stretched, so clients told the same second do not return at once. */
const retryAfterJitterMs = 250;

/**
 * How long to wait before retry number `attempt` (1 for the first retry): the registry's wish when
 * it sent one (plus a little jitter, so concurrent requests told the same time do not all come back
 * in one burst), at most `maxRetryAfter`; else exponential backoff with jitter, at most 10 s.
 */
export function backoffMs(
  attempt: number,
  retryAfter?: number,
  maxRetryAfter = maxDelayMs,
): number {
  if (retryAfter !== undefined) {
    return Math.min(retryAfter + Math.random() * retryAfterJitterMs, maxRetryAfter);
  }
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
  return ceiling / 2 + Math.random() * ceiling / 2;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
