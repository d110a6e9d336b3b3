import { type Clock, defaultClock } from "./clock.js";
import type { JobEvent, JobEventType, JsonObject } from "./types.js";

export type EventListener = (event: JobEvent) => void;

export interface EventLogOptions {
  /** Keep at most this many events; older ones are dropped from the front (readers see `oldest_seq` move). */
  maxEvents?: number;
  clock?: Clock;
}

/**
 * A job's append-only event log: the single record of what the job did. Metrics, trace, state history,
 * streams and persistence are readers of it. Appending with no listeners is a push and a counter bump.
 */
export class EventLog {
  readonly #events: JobEvent[] = [];
  /** Index in #events of the oldest event still held; the array is compacted lazily. */
  #head = 0;
  #lastSeq = 0;
  #listeners: EventListener[] = [];
  readonly #maxEvents: number;
  readonly #clock: Clock;

  constructor(
    readonly job_id: string,
    options: EventLogOptions = {},
  ) {
    this.#maxEvents = options.maxEvents ?? Number.POSITIVE_INFINITY;
    this.#clock = options.clock ?? defaultClock;
  }

  /** Continues a log kept elsewhere: `events` are its newest held events, `lastSeq` its highest seq. */
  restore(lastSeq: number, events: readonly JobEvent[]): void {
    if (this.#lastSeq !== 0) throw new Error("restore() is only for an empty log");
    const held = events.filter((event) => event.seq <= lastSeq).slice(-this.#maxEvents);
    this.#events.push(...held);
    this.#lastSeq = lastSeq;
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** Lowest seq still held; `lastSeq + 1` when the log is empty. */
  get oldestSeq(): number {
    return this.#lastSeq - (this.#events.length - this.#head) + 1;
  }

  get size(): number {
    return this.#events.length - this.#head;
  }

  append(type: JobEventType, data: JsonObject): JobEvent {
    const event: JobEvent = {
      seq: ++this.#lastSeq,
      job_id: this.job_id,
      type,
      timestamp: this.#clock.iso(),
      data,
    };
    this.#events.push(event);
    if (this.#events.length - this.#head > this.#maxEvents) this.#dropOldest();
    const listeners = this.#listeners;
    for (let i = 0; i < listeners.length; i++) listeners[i]!(event);
    return event;
  }

  #dropOldest(): void {
    this.#head++;
    // Compact once the dead prefix is as large as the live part, so dropping stays amortised O(1).
    if (this.#head >= 1024 && this.#head * 2 >= this.#events.length) {
      this.#events.splice(0, this.#head);
      this.#head = 0;
    }
  }

  /** Events with `seq > since`, oldest first, at most `limit`. */
  since(since: number, limit = Number.POSITIVE_INFINITY): JobEvent[] {
    const first = Math.max(since + 1, this.oldestSeq);
    const start = this.#head + (first - this.oldestSeq);
    const end = Math.min(this.#events.length, start + limit);
    return start >= end ? [] : this.#events.slice(start, end);
  }

  /** Every event still held, oldest first. */
  all(): JobEvent[] {
    return this.#events.slice(this.#head);
  }

  /** Listeners run synchronously inside `append`: they must only enqueue, never block or throw. */
  subscribe(listener: EventListener): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }
}
