/**
 * Registry rate limits: the budget a registry announces (`RateLimit-Limit` / `RateLimit-Remaining`,
 * as Docker Hub sends them, e.g. `100;w=21600`) and the 429 whose `Retry-After` is longer than h3
 * will wait, which fails at once instead of sleeping.
 * @module
 */
import { RegistryError } from "../errors.ts";
import { retryAfterMs } from "./retry.ts";

/** The longest `Retry-After` h3 waits out by default, in milliseconds. */
export const defaultMaxRetryAfterMs = 60_000;

/** A registry's announced request budget. */
export interface RateLimit {
  /** Requests allowed per window. */
  limit: number;
  /** Requests left in this window. */
  remaining: number;
  /** The window, in seconds, when the registry names it (`w=`). */
  windowSeconds?: number;
}

/** `100;w=21600` → 100 and 21600; undefined when the value does not start with a number. */
function parseQuota(value: string | null): { count: number; window?: number } | undefined {
  const match = value && /^\s*(\d+)\s*(?:;\s*w\s*=\s*(\d+))?/.exec(value);
  if (!match) return undefined;
  return { count: Number(match[1]), window: match[2] ? Number(match[2]) : undefined };
}

/** The budget `response` announces, or undefined when it carries no (valid) rate-limit headers. */
export function rateLimitOf(response: Response): RateLimit | undefined {
  const limit = parseQuota(response.headers.get("ratelimit-limit"));
  const remaining = parseQuota(response.headers.get("ratelimit-remaining"));
  if (!limit || !remaining) return undefined;
  const windowSeconds = limit.window ?? remaining.window;
  return { limit: limit.count, remaining: remaining.count, windowSeconds };
}

/** The budget as `--debug` and errors show it: `76 of 100 requests left (per 21600 s)`. */
export function describeRateLimit(budget: RateLimit): string {
  const window = budget.windowSeconds ? ` (per ${budget.windowSeconds} s)` : "";
  return `${budget.remaining} of ${budget.limit} requests left${window}`;
}

/**
 * The error for a 429 asking for a longer wait than `maxWaitMs`; undefined when the response is
 * not one (another status, no `Retry-After`, or a wait h3 accepts).
 */
export function rateLimitRefusal(
  response: Response,
  registry: string,
  maxWaitMs: number,
  budget?: RateLimit,
): RegistryError | undefined {
  if (response.status !== 429) return undefined;
  const asked = retryAfterMs(response.headers.get("retry-after"));
  if (asked === undefined || asked <= maxWaitMs) return undefined;
  const left = budget ? `; ${describeRateLimit(budget)}` : "";
  return new RegistryError(
    `${registry} is rate-limiting requests (HTTP 429) and asks to wait ${
      Math.ceil(asked / 1000)
    } s, ` +
      `longer than h3 waits (${maxWaitMs / 1000} s, set by maxRetryAfter or H3_MAX_RETRY_AFTER)` +
      `${left}; try again later`,
    429,
    "TOOMANYREQUESTS",
  );
}
