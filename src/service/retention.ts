import type { Clock } from "../core/clock.js";
import type { RetentionPolicy, Store } from "./store.js";

export interface RetentionSettings {
  /** Finished jobs to keep; undefined keeps all. */
  jobs?: number;
  /** Days a finished job is kept; undefined keeps forever. */
  days?: number;
}

const DAY_MS = 86_400_000;

export function retentionPolicy(settings: RetentionSettings, clock: Clock): RetentionPolicy {
  return {
    maxJobs: settings.jobs,
    finishedBefore:
      settings.days === undefined ? undefined : new Date(clock.now() - settings.days * DAY_MS).toISOString(),
  };
}

/** One sweep; the entry runs it on a timer. Returns how many finished jobs were deleted. */
export function sweepRetention(store: Store, settings: RetentionSettings, clock: Clock): Promise<number> {
  if (settings.jobs === undefined && settings.days === undefined) return Promise.resolve(0);
  return store.sweep(retentionPolicy(settings, clock));
}
