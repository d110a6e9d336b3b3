import { checkedWaitMs } from "../core/timers.js";

/**
 * Waits `ms`, or rejects as soon as `signal` aborts, so a cancelled job never waits on a sleeping routine. A wait
 * that is negative, not finite or over 24 hours rejects at once, naming `name` (never a timer that fires at once).
 */
export function sleep(ms: number, signal?: AbortSignal, name = "delay"): Promise<void> {
  return new Promise((resolve, reject) => {
    checkedWaitMs(ms, name);
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
