/**
 * What must be undone when the process is interrupted (SIGINT, SIGTERM): temp files being
 * written, a progress display on the terminal. Core code registers cleanups while they matter;
 * the CLI runs them on a signal before it exits (the library's user may call `runInterrupts`).
 * @module
 */

const cleanups = new Set<() => void | Promise<void>>();

/** Registers `cleanup` to run on interrupt; returns the function that unregisters it. */
export function onInterrupt(cleanup: () => void | Promise<void>): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

/** Runs every registered cleanup once (most recent first), ignoring their failures. */
export async function runInterrupts(): Promise<void> {
  const pending = [...cleanups].reverse();
  cleanups.clear();
  for (const cleanup of pending) {
    try {
      await cleanup();
    } catch { /* best effort: the process is ending */ }
  }
}
