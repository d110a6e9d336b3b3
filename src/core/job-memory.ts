import { LimitExceededError } from "./errors.js";
import type { MemoryBudget } from "./event-log.js";
import { jsonSize } from "./json-size.js";
import type { JsonObject } from "./types.js";

/** What one job may hold; each is a ROUTILUX_* variable (docs/configuration.md), unbounded when left out. */
export interface JobLimits {
  /** An emitted payload's JSON size; a larger emit throws inside the handler. */
  maxEventBytes?: number;
  /** The event log's bytes; the oldest events are dropped beyond it. */
  maxLogBytes?: number;
  /** Live data: queued deliveries, merge buffers, shared data and routine state. Past it the job fails. */
  maxJobBytes?: number;
  /** Queued deliveries. Past it the job fails. */
  maxPendingDeliveries?: number;
}

/**
 * Shared data and routine state are re-measured (they change inside handlers, where no one counts) at most this
 * often, and the interval stretches so that measuring takes at most 1/MEASURE_SHARE of the job's time.
 */
const MEASURE_EVERY_MS = 20;
const MEASURE_SHARE = 50;

/**
 * One job's memory accounting: the bytes of live data it holds, counted in the job and in the budget of all jobs,
 * and the limits they are held to. It only counts and names the limit passed; the job decides what follows.
 */
export class JobMemory {
  readonly #maxEventBytes: number;
  readonly #maxJobBytes: number;
  readonly #maxPending: number;
  readonly #budget: MemoryBudget;
  readonly #shared: JsonObject;
  readonly #routines: ReadonlyMap<string, { readonly state: JsonObject }>;
  /** Live data in bytes (JSON size): queued deliveries + merge buffers + the last measure of shared and state. */
  #liveBytes = 0;
  /** The part of #liveBytes that is shared data and routine state, as last measured. */
  #dataBytes = 0;
  #measuredAt = 0;
  /** False when no limit is set: then nothing is measured, and the engine runs as it did before limits. */
  readonly #measures: boolean;
  #measureEveryMs = MEASURE_EVERY_MS;

  /** `shared` and the routines' states are the job's own objects: measured now, and re-measured as they change. */
  constructor(
    limits: JobLimits,
    budget: MemoryBudget,
    shared: JsonObject,
    routines: ReadonlyMap<string, { readonly state: JsonObject }>,
  ) {
    this.#maxEventBytes = limits.maxEventBytes ?? Number.POSITIVE_INFINITY;
    this.#maxJobBytes = limits.maxJobBytes ?? Number.POSITIVE_INFINITY;
    this.#maxPending = limits.maxPendingDeliveries ?? Number.POSITIVE_INFINITY;
    this.#budget = budget;
    this.#shared = shared;
    this.#routines = routines;
    this.#measures =
      Number.isFinite(this.#maxEventBytes) ||
      Number.isFinite(this.#maxJobBytes) ||
      Number.isFinite(this.#maxPending) ||
      Number.isFinite(limits.maxLogBytes ?? Number.POSITIVE_INFINITY) ||
      Number.isFinite(budget.limit);
    this.#dataBytes = this.#measureDataBytes();
    this.grow(this.#dataBytes);
  }

  /** Bytes of live data the job holds now. */
  get liveBytes(): number {
    return this.#liveBytes;
  }

  /** Counts `bytes` more (or fewer) of live data, in the job and in the budget of all jobs. */
  grow(bytes: number): void {
    this.#liveBytes += bytes;
    this.#budget.used += bytes;
  }

  /** An emitted payload's JSON size (0 when nothing is measured); throws when it is over ROUTILUX_MAX_EVENT_BYTES. */
  eventBytes(event_name: string, payload: JsonObject): number {
    const bytes = this.#measures ? jsonSize(payload) : 0;
    if (bytes > this.#maxEventBytes) {
      throw new LimitExceededError(
        `event '${event_name}' payload is ${bytes} bytes, over ROUTILUX_MAX_EVENT_BYTES (${this.#maxEventBytes} bytes)`,
        { limit: this.#maxEventBytes, bytes },
      );
    }
    return bytes;
  }

  /** Whether shared data and routine state are due to be re-measured at `now` (a performance.now()). */
  measureDue(now: number): boolean {
    return this.#measures && now - this.#measuredAt > this.#measureEveryMs;
  }

  /**
   * Re-measures shared data and routine state (handlers change them where no one counts). Runs between time
   * slices, and stretches its interval so it never takes more than 1/MEASURE_SHARE of the job's time.
   * Returns the message naming the limit the job is past and to blame for, or null; `pending` is its queue length.
   */
  measureData(pending: number): string | null {
    // Timed from here, not from the slice's start: the share is of measuring alone, not of the handlers before it.
    const started = performance.now();
    const bytes = this.#measureDataBytes();
    const grown = bytes - this.#dataBytes;
    this.grow(grown);
    this.#dataBytes = bytes;
    const finished = performance.now();
    this.#measuredAt = finished;
    this.#measureEveryMs = Math.max(MEASURE_EVERY_MS, (finished - started) * MEASURE_SHARE);
    // Over the total only a job that grew is at fault: one that holds still is a bystander.
    const exceeded = this.exceededLimit(pending);
    return exceeded && (grown > 0 || !exceeded.includes("MAX_TOTAL_BYTES")) ? exceeded : null;
  }

  #measureDataBytes(): number {
    let bytes = jsonSize(this.#shared);
    for (const run of this.#routines.values()) bytes += jsonSize(run.state);
    return bytes;
  }

  /** The message naming the limit the job is past, or null. Three compares: it runs on every emit. */
  exceededLimit(pending: number): string | null {
    if (pending > this.#maxPending)
      return `job exceeded ROUTILUX_MAX_PENDING_DELIVERIES (${this.#maxPending} deliveries)`;
    if (this.#liveBytes > this.#maxJobBytes)
      return `job exceeded ROUTILUX_MAX_JOB_BYTES (${this.#maxJobBytes} bytes)`;
    if (this.#budget.used > this.#budget.limit)
      return `job exceeded ROUTILUX_MAX_TOTAL_BYTES (${this.#budget.limit} bytes, all jobs together)`;
    return null;
  }

  /** The job lets go of all its live data at once: none of it counts any more, in the job or in the budget. */
  release(): void {
    this.#budget.used -= this.#liveBytes;
    this.#liveBytes = 0;
    this.#dataBytes = 0;
  }
}
