/**
 * Work run a few at a time (p-limit), where a piece may give its slot to the next piece before it
 * ends: a transfer into the cache or an OCI layout whose tag waits to be written with others
 * (`TagOptions.queued`) lets the next transfer start meanwhile.
 * @module
 */
import type { LimitFunction } from "p-limit";

/**
 * Runs `work` in one of `limit`'s slots. `work` may let the slot go early by calling `release`;
 * otherwise it holds the slot until it ends. The promise settles as `work` does.
 */
export function inSlot<T>(
  limit: LimitFunction,
  work: (release: () => void) => Promise<T>,
): Promise<T> {
  let finished!: Promise<T>;
  return limit(() =>
    new Promise<void>((release) => {
      finished = work(release);
      finished.then(() => release(), () => release());
    })
  ).then(() => finished);
}
