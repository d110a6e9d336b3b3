import type { Job } from "../core/job.js";
import type { JobEvent } from "../core/types.js";
import type { Store } from "./store.js";

const scheduleMacrotask: (fn: () => void) => void =
  typeof globalThis.setImmediate === "function"
    ? (fn) => globalThis.setImmediate(fn)
    : (fn) => setTimeout(fn, 0);

/**
 * Persists one job's events and record in batches: everything logged in one turn of the event loop goes to the
 * store in one call, so persistence never throttles the engine. A crash loses at most the last batch of a running
 * job; a finished job's record and log are written before `finished` resolves.
 */
export class EventWriter {
  #batch: JobEvent[] = [];
  #recordDirty = false;
  #scheduled = false;
  #chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly job: Job,
    private readonly maxEvents: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  push(event: JobEvent): void {
    this.#batch.push(event);
    if (event.type.startsWith("job_")) this.#recordDirty = true;
    if (!this.#scheduled) {
      this.#scheduled = true;
      scheduleMacrotask(() => this.#flush());
    }
  }

  /** Resolves once everything pushed so far is stored. */
  flushed(): Promise<void> {
    if (this.#scheduled) this.#flush();
    return this.#chain;
  }

  #flush(): void {
    this.#scheduled = false;
    const events = this.#batch;
    const writeRecord = this.#recordDirty;
    this.#batch = [];
    this.#recordDirty = false;
    // Flushes are chained so the store sees events in seq order even when a write is slow.
    this.#chain = this.#chain
      .then(async () => {
        if (events.length > 0) await this.store.appendEvents(this.job.job_id, events);
        if (writeRecord) await this.store.saveJob(this.job.record());
        // The store keeps what the job's log keeps: no more events than it holds by count and by bytes.
        const last = events.at(-1)?.seq ?? 0;
        const keep = Math.min(this.maxEvents, Math.max(1, last - this.job.log.oldestSeq + 1));
        if (last > keep && events.length > 0) await this.store.truncateEvents(this.job.job_id, keep);
      })
      .catch(this.onError);
  }
}
