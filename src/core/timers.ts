/**
 * The bounds of every wait the engine and the routines set, and the one way around the runtimes' timer limit.
 * Node, Bun and Workers all fire a `setTimeout` longer than 2^31−1 ms (about 24.8 days) at once (Node also warns
 * with a `TimeoutOverflowWarning`), so no wait may reach `setTimeout` unchecked.
 */

/** The longest delay `setTimeout` honours on every runtime we serve. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The longest job timeout (`timeout` of `POST /api/jobs`, a flow's `execution.timeout`): 30 days, in seconds. */
export const MAX_JOB_TIMEOUT_SECONDS = 2_592_000;

/** The longest wait a routine may be asked for (a delay, a retry delay, a debounce or batch window): 24 hours. */
export const MAX_WAIT_MS = 86_400_000;

/**
 * `ms` when it is a wait a routine may be given; otherwise throws (in a handler: the routine fails, its error
 * strategy applies) with a message naming `name`, the bound and the value.
 */
export function checkedWaitMs(ms: unknown, name: string): number {
  if (typeof ms === "number" && Number.isFinite(ms) && ms >= 0 && ms <= MAX_WAIT_MS) return ms;
  const shown = typeof ms === "number" ? String(ms) : (JSON.stringify(ms) ?? String(ms));
  throw new RangeError(
    `${name} must be a finite number of milliseconds from 0 to ${MAX_WAIT_MS} (24 hours), not ${shown}`,
  );
}

/**
 * Runs `fire` once `ms` have passed, however long that is: past MAX_TIMER_MS it chains timers of at most that
 * length. `arm` sets one timer (the caller keeps its handle, so the latest link is the one to clear).
 */
export function armChained(
  ms: number,
  fire: () => void,
  arm: (callback: () => void, ms: number) => void,
): void {
  if (ms > MAX_TIMER_MS) arm(() => armChained(ms - MAX_TIMER_MS, fire, arm), MAX_TIMER_MS);
  else arm(fire, Math.max(0, ms));
}
