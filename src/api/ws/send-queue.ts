import { Deque } from "../../core/deque.js";
import type { JobEvent } from "../../core/types.js";

/** What leaves the queue: a control message already serialised, or an event the connection frames at send time. */
export type Outgoing = { text: string; event?: undefined } | { event: JobEvent; text?: undefined };

/**
 * Queued events: a ring that grows as needed (its owner bounds it), with each event's queue order beside it. Nothing is allocated per
 * event — the queue of a client that reads more slowly than a job logs turns over at the engine's pace, and wrapper
 * objects that live that long would be promoted and collected as old garbage, slowing the engine.
 */
class EventRing {
  #events: (JobEvent | undefined)[];
  #orders: Float64Array;
  /** Storage is a power of two so wrapping is a mask. */
  #mask: number;
  #head = 0;
  #size = 0;

  constructor() {
    this.#events = new Array(64);
    this.#orders = new Float64Array(64);
    this.#mask = 63;
  }

  get length(): number {
    return this.#size;
  }

  push(event: JobEvent, order: number): void {
    if (this.#size === this.#events.length) this.#grow();
    const slot = (this.#head + this.#size) & this.#mask;
    this.#events[slot] = event;
    this.#orders[slot] = order;
    this.#size++;
  }

  peek(): JobEvent | undefined {
    return this.#size === 0 ? undefined : this.#events[this.#head];
  }

  peekOrder(): number {
    return this.#orders[this.#head]!;
  }

  shift(): JobEvent | undefined {
    if (this.#size === 0) return undefined;
    const event = this.#events[this.#head];
    this.#events[this.#head] = undefined;
    this.#head = (this.#head + 1) & this.#mask;
    this.#size--;
    return event;
  }

  /** Keeps the events `keep` accepts, in order. */
  filter(keep: (event: JobEvent) => boolean): void {
    const events: JobEvent[] = [];
    const orders: number[] = [];
    while (this.#size > 0) {
      const order = this.peekOrder();
      const event = this.shift()!;
      if (keep(event)) {
        events.push(event);
        orders.push(order);
      }
    }
    this.#head = 0;
    for (let i = 0; i < events.length; i++) this.push(events[i]!, orders[i]!);
  }

  clear(): void {
    this.#events = new Array(64);
    this.#orders = new Float64Array(64);
    this.#mask = 63;
    this.#head = 0;
    this.#size = 0;
  }

  #grow(): void {
    const size = this.#events.length * 2;
    const events: (JobEvent | undefined)[] = new Array(size);
    const orders = new Float64Array(size);
    for (let i = 0; i < this.#size; i++) {
      const slot = (this.#head + i) & this.#mask;
      events[i] = this.#events[slot];
      orders[i] = this.#orders[slot]!;
    }
    this.#events = events;
    this.#orders = orders;
    this.#mask = size - 1;
    this.#head = 0;
  }
}

interface QueuedControl {
  order: number;
  text: string;
}

interface DroppedRange {
  from_seq: number;
  to_seq: number;
}

const droppedNotice = (job_id: string, range: DroppedRange): string =>
  JSON.stringify({ type: "events:dropped", job_id, from_seq: range.from_seq, to_seq: range.to_seq });

/**
 * One connection's bounded send queue (docs/websocket-events.md).
 *
 * Live events, backfill (events replayed from a job's log) and control messages wait in three FIFOs stamped with one
 * running order, so they leave in the order they were queued while only live events can be dropped: at `maxEvents`
 * the oldest queued live event goes and its seq joins the job's dropped range. Backfill is never dropped; its
 * replays add a page only when there is room for it (`Connection`), which bounds it. The range is told to the client (`events:dropped`) just before that job's next surviving event
 * leaves, or when the queue runs empty — so a job's drops that happen back to back become one message, and the
 * notice never arrives after events that followed the gap. Memory stays bounded: at most `maxEvents` events,
 * `maxControls` control messages and one range per job.
 */
export class SendQueue {
  readonly #events: EventRing;
  readonly #backfill = new EventRing();
  readonly #controls = new Deque<QueuedControl>();
  readonly #dropped = new Map<string, DroppedRange>();
  #order = 0;
  #lastRange: DroppedRange | null = null;
  #lastRangeJob = "";
  #highWater = 0;
  #droppedTotal = 0;

  constructor(
    readonly maxEvents: number,
    readonly maxControls: number,
  ) {
    this.#events = new EventRing();
  }

  /** Live events waiting now. */
  get eventCount(): number {
    return this.#events.length;
  }

  /** Backfill events waiting now. */
  get backfillCount(): number {
    return this.#backfill.length;
  }

  /** The most events that ever waited at once (never above `maxEvents`). */
  get highWater(): number {
    return this.#highWater;
  }

  /** Events dropped on overflow since the queue was made. */
  get droppedTotal(): number {
    return this.#droppedTotal;
  }

  get isEmpty(): boolean {
    return (
      this.#events.length === 0 &&
      this.#backfill.length === 0 &&
      this.#controls.length === 0 &&
      this.#dropped.size === 0
    );
  }

  pushEvent(event: JobEvent): void {
    if (this.#events.length >= this.maxEvents) this.#dropOldestEvent();
    this.#events.push(event, ++this.#order);
    if (this.#events.length > this.#highWater) this.#highWater = this.#events.length;
  }

  /** An event replayed from the log: it waits its turn like the others but is never dropped. */
  pushBackfill(event: JobEvent): void {
    this.#backfill.push(event, ++this.#order);
  }

  /** False when the control FIFO is full: the client reads nothing and the caller should give up on it. */
  pushControl(text: string): boolean {
    if (this.#controls.length >= this.maxControls) return false;
    this.#controls.push({ order: ++this.#order, text });
    return true;
  }

  /** The next message to send, in queue order. */
  shift(): Outgoing | undefined {
    let ring: EventRing | null = this.#events.length > 0 ? this.#events : null;
    if (this.#backfill.length > 0 && (ring === null || this.#backfill.peekOrder() < ring.peekOrder())) {
      ring = this.#backfill;
    }
    const control = this.#controls.peek();
    if (control && (ring === null || control.order < ring.peekOrder())) {
      this.#controls.shift();
      return { text: control.text };
    }
    if (ring !== null) {
      const event = ring.peek()!;
      const range = this.#dropped.get(event.job_id);
      // Only before an event past the gap: backfill queued earlier may still hold the job's older events.
      if (range && event.seq > range.to_seq) {
        this.#forgetRange(event.job_id);
        return { text: droppedNotice(event.job_id, range) };
      }
      ring.shift();
      return { event };
    }
    for (const [job_id, range] of this.#dropped) {
      this.#forgetRange(job_id);
      return { text: droppedNotice(job_id, range) };
    }
    return undefined;
  }

  /** Drops every queued live event (the connection stalls: they are the oldest, and none can leave now). */
  dropAllEvents(): void {
    while (this.#events.length > 0) this.#dropOldestEvent();
  }

  /** Records events that never entered the queue as dropped, joined to the job's pending range when they follow it. */
  noteDropped(job_id: string, from_seq: number, to_seq: number): void {
    const range = this.#dropped.get(job_id);
    this.#droppedTotal += to_seq - from_seq + 1;
    if (range && range.to_seq + 1 >= from_seq) {
      range.to_seq = Math.max(range.to_seq, to_seq);
      return;
    }
    if (range) this.pushControl(droppedNotice(job_id, range));
    this.#forgetRange(job_id);
    this.#dropped.set(job_id, { from_seq, to_seq });
  }

  /** Forgets a job's queued events and dropped range: a replay of that job is about to cover them. */
  purgeJob(job_id: string): void {
    this.#forgetRange(job_id);
    this.#events.filter((event) => event.job_id !== job_id);
    this.#backfill.filter((event) => event.job_id !== job_id);
  }

  clear(): void {
    this.#events.clear();
    this.#backfill.clear();
    this.#controls.clear();
    this.#dropped.clear();
    this.#lastRange = null;
  }

  #forgetRange(job_id: string): void {
    this.#dropped.delete(job_id);
    if (this.#lastRangeJob === job_id) this.#lastRange = null;
  }

  #dropOldestEvent(): void {
    const event = this.#events.shift()!;
    this.#droppedTotal++;
    // Drops come in runs of one job: remember its range so a run costs no Map lookup per event.
    let range = this.#lastRange;
    if (range === null || this.#lastRangeJob !== event.job_id) {
      range = this.#dropped.get(event.job_id) ?? null;
      if (range === null) {
        range = { from_seq: event.seq, to_seq: event.seq };
        this.#dropped.set(event.job_id, range);
      }
      this.#lastRange = range;
      this.#lastRangeJob = event.job_id;
    }
    range.to_seq = event.seq;
  }
}
