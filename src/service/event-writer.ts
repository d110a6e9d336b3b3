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
 * When the store refuses a write (a full disk, a value too large), the job fails with `storage write failed: …`
 * (`onFault`) and from then on the store alone answers for it: its record is written at once, a small update of a
 * row the store already has, so it lands when the big write could not; its log is what was stored, ended by one
 * `job_failed` event numbered after it (best effort: a full disk may refuse that too). Events are not written past
 * the fault, so the stored log never has a gap that a reader paging by `since` would stall on.
 */
export class EventWriter {
  #batch: JobEvent[] = [];
  #recordDirty = false;
  #scheduled = false;
  #chain: Promise<void> = Promise.resolve();
  /** The last seq the store holds. */
  #stored = 0;
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
    if (this.#fault !== null) return;
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

  /** The record the store keeps: after a fault, failed with the fault, whatever the job had ended as. */
  get record(): JobRecord {
    const record = this.job.record();
    if (this.#fault === null) return record;
    // completed_at is set: onFault has ended the job, if it had not ended already.
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
    const writeRecord = this.#recordDirty;
    this.#batch = [];
    this.#recordDirty = false;
    // Flushes are chained so the store sees events in seq order even when a write is slow.
    this.#chain = this.#chain
      .then(async () => {
        if (this.#fault !== null) return;
        try {
          if (events.length > 0) {
            await this.store.appendEvents(this.job.job_id, events);
            this.#stored = events.at(-1)!.seq;
            // The store keeps what the job's log keeps: no more events than it holds by count and by bytes.
            const keep = Math.min(this.maxEvents, Math.max(1, this.#stored - this.job.log.oldestSeq + 1));
            if (this.#stored > keep) await this.store.truncateEvents(this.job.job_id, keep);
          }
          if (writeRecord) await this.store.saveJob(this.record);
        } catch (error) {
          await this.#failed(error);
        }
      })
      .catch(this.onError);
  }

  /** The first fault: the job fails, the store gets its record, then (if it can) the closing event. */
  async #failed(error: unknown): Promise<void> {
    this.onError(error);
    this.#fault = storageFault(error);
    this.#batch = [];
    this.onFault(this.#fault);
    const record = this.record;
    await this.store.saveJob(record);
    const closing: JobEvent = {
      seq: this.#stored + 1,
      job_id: record.job_id,
      type: "job_failed",
      timestamp: record.completed_at!,
      data: { error: this.#fault, routine_id: null },
    };
    await this.store.appendEvents(record.job_id, [closing]).catch(this.onError);
  }
}
