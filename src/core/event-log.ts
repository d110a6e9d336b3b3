import { type Clock, defaultClock } from "./clock.js";
import { JOB_EVENT_TYPES, type JobEvent, type JobEventType, type JsonObject } from "./types.js";

export type EventListener = (event: JobEvent) => void;

export interface EventLogOptions {
  /** Keep at most this many events; older ones are dropped from the front (readers see `oldest_seq` move). */
  maxEvents?: number;
  /** Keep at most this many bytes of events (JSON size, as measured by the appender); dropped the same way. */
  maxBytes?: number;
  /** Where the log's bytes are also counted (all jobs' memory together). */
  budget?: MemoryBudget;
  clock?: Clock;
}

/**
 * Bytes of live data and logs shared by every job of a service: each job adds what it holds and takes it back when
 * it lets go, so `used` is the sum at any moment. `limit` is ROUTILUX_MAX_TOTAL_BYTES.
 */
export class MemoryBudget {
  used = 0;
  constructor(readonly limit: number = Number.POSITIVE_INFINITY) {}

  get exceeded(): boolean {
    return this.used > this.limit;
  }
}

/** What an event without a user payload costs in the log (its type, seq, routine and slot ids). */
export const EVENT_BYTES = 64;

const TYPE_CODES = new Map<JobEventType, number>(JOB_EVENT_TYPES.map((type, code) => [type, code]));

/** Compact a truncated log once this many dropped events have piled up (and they outnumber the held ones). */
const COMPACT_AFTER = 1024;

/**
 * A job's append-only event log: the single record of what the job did. Metrics, trace, state history,
 * streams and persistence are readers of it. Appending with no listeners stores three small things.
 *
 * A log keeps every event of a job for as long as the job is kept, so what it holds per event is memory and
 * garbage-collector work on the hot path. It therefore holds no JobEvent objects: an event's data sits in one
 * array, its type is a byte, its seq is its position, and its timestamp is shared by every event of the same
 * millisecond (stored once per run of equal timestamps). Readers get JobEvent objects built on the way out.
 */
export class EventLog {
  /** Each held event's data, oldest at #head; slots before #head are dropped events awaiting compaction. */
  #data: (JsonObject | undefined)[] = [];
  /** Each event's type as its index in JOB_EVENT_TYPES, at the same index as its data. */
  #types = new Uint8Array(256);
  /** Each event's size in bytes (as its appender measured it), at the same index as its data. */
  #sizes = new Float64Array(256);
  /** Sum of #sizes over the held events. */
  #bytes = 0;
  /** Runs of equal timestamps: `#runStamps[i]` is the timestamp of seqs from `#runSeqs[i]` up to the next run. */
  #runSeqs: number[] = [];
  #runStamps: string[] = [];
  #lastStamp: string | null = null;
  #head = 0;
  #lastSeq = 0;
  #listeners: EventListener[] = [];
  readonly #maxEvents: number;
  readonly #maxBytes: number;
  #budget: MemoryBudget;
  readonly #clock: Clock;

  constructor(
    readonly job_id: string,
    options: EventLogOptions = {},
  ) {
    this.#maxEvents = options.maxEvents ?? Number.POSITIVE_INFINITY;
    this.#maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
    this.#budget = options.budget ?? new MemoryBudget();
    this.#clock = options.clock ?? defaultClock;
  }

  /** Continues a log kept elsewhere: `events` are its newest held events, `lastSeq` its highest seq. */
  restore(lastSeq: number, events: readonly JobEvent[]): void {
    if (this.#lastSeq !== 0) throw new Error("restore() is only for an empty log");
    const held = events.filter((event) => event.seq <= lastSeq).slice(-this.#maxEvents);
    // Held events end at lastSeq and have no gaps, so the i-th of them has this seq.
    for (let i = 0; i < held.length; i++) {
      const event = held[i]!;
      this.#store(lastSeq - held.length + 1 + i, event.type, event.timestamp, event.data, EVENT_BYTES);
    }
    this.#lastSeq = lastSeq;
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** Lowest seq still held; `lastSeq + 1` when the log is empty. */
  get oldestSeq(): number {
    return this.#lastSeq - this.size + 1;
  }

  get size(): number {
    return this.#data.length - this.#head;
  }

  /** Bytes the held events take, as their appenders measured them. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Stops counting this log in its budget and gives its bytes back (the job let go of it). */
  releaseBudget(): void {
    this.#budget.used -= this.#bytes;
    this.#budget = new MemoryBudget();
    this.#budget.used = this.#bytes;
  }

  /**
   * `bytes`: the event's size, measured by the caller where `data` holds a user payload (it measured it anyway, to
   * check it); the flat EVENT_BYTES otherwise. A log over its byte cap drops from the front as over its count cap,
   * but never its newest event: a long job does not fail because of its log.
   */
  append(type: JobEventType, data: JsonObject, bytes = EVENT_BYTES): JobEvent {
    const seq = ++this.#lastSeq;
    const timestamp = this.#clock.iso();
    this.#store(seq, type, timestamp, data, bytes);
    if (this.#data.length - this.#head > this.#maxEvents) this.#dropOldest();
    while (this.#bytes > this.#maxBytes && this.#data.length - this.#head > 1) this.#dropOldest();
    // Short-lived unless a listener keeps it: young-generation garbage costs next to nothing.
    const event: JobEvent = { seq, job_id: this.job_id, type, timestamp, data };
    const listeners = this.#listeners;
    for (let i = 0; i < listeners.length; i++) listeners[i]!(event);
    return event;
  }

  #store(seq: number, type: JobEventType, timestamp: string, data: JsonObject, bytes: number): void {
    if (timestamp !== this.#lastStamp) {
      this.#lastStamp = timestamp;
      this.#runSeqs.push(seq);
      this.#runStamps.push(timestamp);
    }
    const index = this.#data.length;
    if (index === this.#types.length) {
      const grown = new Uint8Array(this.#types.length * 2);
      grown.set(this.#types);
      this.#types = grown;
      const sizes = new Float64Array(this.#sizes.length * 2);
      sizes.set(this.#sizes);
      this.#sizes = sizes;
    }
    this.#types[index] = TYPE_CODES.get(type)!;
    this.#sizes[index] = bytes;
    this.#bytes += bytes;
    this.#budget.used += bytes;
    this.#data.push(data);
  }

  #dropOldest(): void {
    this.#data[this.#head] = undefined; // let the dropped event's data go now, not at compaction
    const bytes = this.#sizes[this.#head]!;
    this.#bytes -= bytes;
    this.#budget.used -= bytes;
    this.#head++;
    // Compact once the dead prefix is as large as the live part, so dropping stays amortised O(1).
    if (this.#head >= COMPACT_AFTER && this.#head * 2 >= this.#data.length) this.#compact();
  }

  #compact(): void {
    this.#types.copyWithin(0, this.#head, this.#data.length);
    this.#sizes.copyWithin(0, this.#head, this.#data.length);
    this.#data.splice(0, this.#head);
    this.#head = 0;
    const stale = this.#runAt(this.oldestSeq);
    this.#runSeqs.splice(0, stale);
    this.#runStamps.splice(0, stale);
  }

  /** Index of the timestamp run that holds `seq` (binary search: runs start at increasing seqs). */
  #runAt(seq: number): number {
    let low = 0;
    let high = this.#runSeqs.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.#runSeqs[mid]! <= seq) low = mid;
      else high = mid - 1;
    }
    return low;
  }

  /** Events with `seq > since`, oldest first, at most `limit`. */
  since(since: number, limit = Number.POSITIVE_INFINITY): JobEvent[] {
    const oldest = this.oldestSeq;
    const first = Math.max(since + 1, oldest);
    const last = Math.min(this.#lastSeq, first + limit - 1);
    const events: JobEvent[] = [];
    if (first > last) return events;
    const runSeqs = this.#runSeqs;
    let run = this.#runAt(first);
    for (let seq = first, at = this.#head + (first - oldest); seq <= last; seq++, at++) {
      while (run + 1 < runSeqs.length && runSeqs[run + 1]! <= seq) run++;
      events.push({
        seq,
        job_id: this.job_id,
        type: JOB_EVENT_TYPES[this.#types[at]!]!,
        timestamp: this.#runStamps[run]!,
        data: this.#data[at]!,
      });
    }
    return events;
  }

  /** Every event still held, oldest first. */
  all(): JobEvent[] {
    return this.since(0);
  }

  /** Listeners run synchronously inside `append`: they must only enqueue, never block or throw. */
  subscribe(listener: EventListener): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }
}
