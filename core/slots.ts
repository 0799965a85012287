/**
 * Work run a few at a time, where a piece may give its slot to the next piece before it ends: a
 * transfer into the cache or an OCI layout whose tag waits to be written with others
 * (`TagOptions.queued`) lets the next transfer start meanwhile.
 * @module
 */

/**
 * Runs `work(index)` for each index below `count`, `concurrency` at a time, in index order; a
 * piece may let its slot go early by calling `release`, and the next index starts then. A piece's
 * promise and closures are made only when it starts: a command naming 10,000 refs does not hold
 * 10,000 waiting promises. Settles when every piece has ended: rejected with the first error a
 * piece threw (the others still run to their end). `allLetGo` is called once, when every piece
 * has let its slot go (by `release` or by ending): what the pieces still wait for (tags batched
 * for one write) need wait for no other piece.
 */
export function eachInSlots(
  count: number,
  concurrency: number,
  work: (index: number, release: () => void) => Promise<void>,
  allLetGo?: () => void,
): Promise<void> {
  const { promise, resolve, reject } = Promise.withResolvers<void>();
  let next = 0;
  let ended = 0;
  let letGo = 0;
  let failure: { error: unknown } | undefined;
  const start = () => {
    if (next >= count) return; // two slots let go for the last index
    const index = next++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      if (++letGo === count) allLetGo?.();
      queueMicrotask(start); // not nested: a piece may let go at once
    };
    let running: Promise<void>;
    try {
      running = work(index, release);
    } catch (error) {
      running = Promise.reject(error);
    }
    running.catch((error) => failure ??= { error }).finally(() => {
      release();
      if (++ended < count) return;
      if (failure) reject(failure.error);
      else resolve();
    });
  };
  if (count === 0) resolve();
  for (let i = 0; i < Math.min(Math.max(1, concurrency), count); i++) start();
  return promise;
}
