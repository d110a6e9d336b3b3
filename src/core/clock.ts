/** Time and ids come from here so tests can pin them and hot paths can share one formatted timestamp per ms. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** ISO-8601 UTC string of `now()`. */
  iso(): string;
}

export function systemClock(): Clock {
  let lastMs = -1;
  let lastIso = "";
  return {
    now: () => Date.now(),
    iso() {
      const ms = Date.now();
      // Formatting a Date costs far more than an append to the event log; one string per millisecond is enough.
      if (ms !== lastMs) {
        lastMs = ms;
        lastIso = new Date(ms).toISOString();
      }
      return lastIso;
    },
  };
}

export const defaultClock: Clock = systemClock();

export type IdFactory = () => string;

export const newId: IdFactory = () => crypto.randomUUID();

/** Monotonic seconds for durations; `performance` is a Web-standard global on every runtime we serve. */
export const monotonicSeconds = (): number => performance.now() / 1000;

/**
 * The seconds between two `monotonicSeconds()` readings, to the microsecond: the clock resolves no finer (browsers
 * and Workers much coarser), and the digits past it cost bytes and time in every event log that stores a
 * duration (`0.040243641999997` becomes `0.040244`).
 */
export const secondsSince = (start: number): number => Math.round((monotonicSeconds() - start) * 1e6) / 1e6;
