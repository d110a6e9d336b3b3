import { checkedWaitMs } from "../../core/timers.js";

/**
 * Keeping a slot handler open so it can still emit later.
 *
 * Two rules of the core decide how a routine may act on a timer: a handler's `emit` closes when its promise
 * settles, and a job completes by itself once nothing is queued and no handler is running. So a routine
 * that must emit after a quiet period (debouncer) or at the end of a time window (aggregator) keeps the
 * handler of one delivery pending until then. The job honestly counts as busy while it waits, and the wait
 * ends at once when the job is cancelled or times out (its `signal` aborts).
 *
 * Cost: a held handler occupies one of the flow's workers. In a `sequential` flow (one worker) nothing else
 * runs while it waits; see docs/routines.md.
 */

export interface OpenHandler {
  /** What the held handler returns; settles when the wait ends. */
  readonly settled: Promise<void>;
  /** Ends the wait now without running the timeout action (another delivery took over). */
  release(): void;
}

/** Throws (the routine fails) when `ms` is negative, not finite or over 24 hours. */
export function holdOpen(signal: AbortSignal, ms: number, onTimeout: () => void): OpenHandler {
  checkedWaitMs(ms, "wait");
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const settled = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  let open = true;
  const close = (): boolean => {
    if (!open) return false;
    open = false;
    clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
    return true;
  };
  const onAbort = (): void => {
    if (close()) resolve();
  };
  const timer = setTimeout(() => {
    if (!close()) return;
    try {
      onTimeout();
      resolve();
    } catch (error) {
      reject(error);
    }
  }, ms);
  signal.addEventListener("abort", onAbort, { once: true });
  if (signal.aborted) onAbort();
  return {
    settled,
    release: () => {
      if (close()) resolve();
    },
  };
}
