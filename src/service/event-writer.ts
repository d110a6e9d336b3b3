import type { Job } from "../core/job.js";
import type { JobEvent, JobRecord } from "../core/types.js";
import type { Store } from "./store.js";

const scheduleMacrotask: (fn: () => void) => void =
  typeof globalThis.setImmediate === "function"
    ? (fn) => globalThis.setImmediate(fn)
    : (fn) => setTimeout(fn, 0);

/** The error a job fails with when the store refuses its events or record (a full disk, a value too large). */
export function storageFault(error: unknown): string {
  return `storage write failed: ${error instanceof Error ? error.message : String(error)}`;
}

/**
 * Persists one job's events and record in batches: everything logged in one turn of the event loop goes to the
 * store in one call, so persistence never throttles the engine. A crash loses at most the last batch of a running
 * job; a finished job's record and log are written before `finished` resolves.
 *
 * When the store refuses a write, the job fails with `storage write failed: …` (`onFault`), and from then on the
 * record the store keeps says so: the record is a small row update apart from the events, so it still lands when
 * the big write could not. Events the store refused are absent from the stored log.
 */
export class EventWriter {
  #batch: JobEvent[] = [];
  #recordDirty = false;
  #scheduled = false;
  #chain: Promise<void> = Promise.resolve();
  /** The fault's error message, once a write has failed. */
  #fault: string | null = null;

  constructor(
    private readonly store: Store,
    private readonly job: Job,
    private readonly maxEvents: number,
    private readonly onFault: (error: string) => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  push(event: JobEvent): void {
    this.#batch.push(event);
    if (event.type.startsWith("job_")) this.#recordDirty = true;
    this.#schedule();
  }

  /** Stores the job's record now (ahead of its events), e.g. as it starts. */
  saveRecord(): Promise<void> {
    this.#recordDirty = true;
    this.#schedule();
    return this.flushed();
  }

  /** The record the store keeps: the job's own, unless a write failed after the job had already finished. */
  get record(): JobRecord {
    const record = this.job.record();
    if (this.#fault === null || record.error === this.#fault) return record;
    return { ...record, status: "failed", error: this.#fault };
  }

  /** Resolves once everything pushed so far is stored (or has failed to be). */
  flushed(): Promise<void> {
    if (this.#scheduled) this.#flush();
    return this.#chain;
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    scheduleMacrotask(() => this.#flush());
  }

  #flush(): void {
    if (!this.#scheduled) return;
    this.#scheduled = false;
    const events = this.#batch;
    let writeRecord = this.#recordDirty;
    this.#batch = [];
    this.#recordDirty = false;
    // Flushes are chained so the store sees events in seq order even when a write is slow.
    this.#chain = this.#chain
      .then(async () => {
        try {
          if (events.length > 0) await this.store.appendEvents(this.job.job_id, events);
          // The store keeps what the job's log keeps: no more events than it holds by count and by bytes.
          const last = events.at(-1)?.seq ?? 0;
          const keep = Math.min(this.maxEvents, Math.max(1, last - this.job.log.oldestSeq + 1));
          if (last > keep && events.length > 0) await this.store.truncateEvents(this.job.job_id, keep);
        } catch (error) {
          writeRecord = this.#failed(error) || writeRecord;
        }
        if (!writeRecord) return;
        try {
          await this.store.saveJob(this.record);
        } catch (error) {
          // The job fails, and the flush its `job_failed` event schedules saves the record again.
          if (!this.#failed(error)) throw error;
        }
      })
      .catch(this.onError);
  }

  /** Records the first fault and fails the job; true when this was the first. */
  #failed(error: unknown): boolean {
    if (this.#fault !== null) {
      this.onError(error);
      return false;
    }
    this.#fault = storageFault(error);
    this.onError(error);
    this.onFault(this.#fault);
    return true;
  }
}
