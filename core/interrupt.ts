/**
 * What must be undone when the process is interrupted (SIGINT, SIGTERM): temp files being
 * written, a progress display on the terminal. Core code registers cleanups while they matter;
 * the CLI runs them on a signal before it exits (the library's user may call `runInterrupts`).
 * @module
 */

const cleanups = new Set<() => void | Promise<void>>();

/** Whether the cleanups are running (a write must then not start a temp file they would miss). */
let running = false;

/**
 * Whether an interrupt's cleanups are running: a temp file created now could be listed after its
 * cleanup has passed, so writers refuse to start one (and remove one they just made).
 */
export function interrupting(): boolean {
  return running;
}

/** Registers `cleanup` (safe to run twice) to run on interrupt; returns the function that unregisters it. */
export function onInterrupt(cleanup: () => void | Promise<void>): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

/**
 * A second pass runs this long after the first: a temp file whose creation was already under way
 * while the first pass listed the files exists by then, and is removed too.
 */
const settleMs = 50;

/**
 * Runs every registered cleanup (most recent first), ignoring their failures, in two passes (see
 * `settleMs`); a cleanup must therefore be safe to run twice.
 */
export async function runInterrupts(): Promise<void> {
  const pending = [...cleanups].reverse();
  cleanups.clear();
  running = true;
  try {
    for (let pass = 0; pass < 2; pass++) {
      if (pass > 0) await new Promise((resolve) => setTimeout(resolve, settleMs));
      for (const cleanup of pending) {
        try {
          await cleanup();
        } catch { /* best effort: the process is ending */ }
      }
    }
  } finally {
    running = false;
  }
}
