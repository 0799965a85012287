/**
 * Work run a few at a time, where a piece may give its slot to the next piece before it ends: a
 * transfer into the cache or an OCI layout whose tag waits to be written with others
 * (`TagOptions.queued`) lets the next transfer start meanwhile, and so does one that waits for
 * another transfer of the same manifest (`CopyOptions.onWaiting`).
 * @module
 */

/**
 * Pieces that stepped aside (see `eachInSlots`) and have not let go yet, at most this many per
 * slot. What one holds while it waits is small (a fetched manifest, a few closures), but once its
 * wait ends it works in no slot (finding what the other piece stored, or, when that one failed,
 * moving it itself): at most (1 + asidePerSlot) × concurrency pieces work at once. With 2 per slot
 * and 8 slots taking 10 tags of each chart in a row, 3 charts move at once (1 before).
 */
const asidePerSlot = 2;

/**
 * Runs `work(index, release, stepAside)` for each index below `count`, `concurrency` at a time,
 * in index order. A piece may let its slot go early by calling `release` (all it still waits for
 * is a write batched with others), and the next index starts then. A piece that waits for another
 * piece's work may call `stepAside`: the next index starts in its slot, but the piece has not let
 * go (it still has work to do after its wait, and it calls `release` or ends as any piece does).
 * At most `asidePerSlot` × `concurrency` pieces stand aside at once; `stepAside` returns false and
 * the piece keeps its slot when that many do. A piece's promise and closures are made only when
 * it starts: a command naming 10,000 refs does not hold 10,000 waiting promises. Settles when
 * every piece has ended: rejected with the first error a piece threw (the others still run to
 * their end). `allLetGo` is called once, when every piece has let its slot go (by `release` or by
 * ending; stepping aside is not letting go): what the pieces still wait for (tags batched for one
 * write) need wait for no other piece.
 */
export function eachInSlots(
  count: number,
  concurrency: number,
  work: (index: number, release: () => void, stepAside: () => boolean) => Promise<void>,
  allLetGo?: () => void,
): Promise<void> {
  const { promise, resolve, reject } = Promise.withResolvers<void>();
  const slots = Math.max(1, concurrency);
  let next = 0;
  let ended = 0;
  let letGo = 0;
  let aside = 0;
  let failure: { error: unknown } | undefined;
  const start = () => {
    if (next >= count) return; // two slots let go for the last index
    const index = next++;
    let slotHeld = true;
    let released = false;
    let stoodAside = false;
    const passSlot = () => {
      if (!slotHeld) return;
      slotHeld = false;
      queueMicrotask(start); // not nested: a piece may let go at once
    };
    const release = () => {
      if (released) return;
      released = true;
      if (stoodAside) aside--;
      if (++letGo === count) allLetGo?.();
      passSlot();
    };
    const stepAside = () => {
      if (released || stoodAside) return !slotHeld;
      if (aside >= asidePerSlot * slots) return false;
      stoodAside = true;
      aside++;
      passSlot();
      return true;
    };
    let running: Promise<void>;
    try {
      running = work(index, release, stepAside);
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
  for (let i = 0; i < Math.min(slots, count); i++) start();
  return promise;
}
