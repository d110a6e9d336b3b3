import type { JobEvent } from "../../core/types.js";
import type { JobService } from "../../service/job-service.js";
import type { ControlMessage } from "./protocol.js";

/** Where a stream's events go: the connection, which filters, frames and queues them. */
export interface StreamSink {
  /**
   * An event of this job, each seq at most once and in seq order. `live` events may be dropped for a client that
   * stalls; the others are backfill, read from the log, and are never dropped.
   */
  accept(event: JobEvent, live: boolean): void;
  control(message: ControlMessage): void;
  /** Events `from_seq`…`to_seq` of the job will not be sent on this socket (the client may fetch them over HTTP). */
  dropped(job_id: string, from_seq: number, to_seq: number): void;
  /**
   * Reserves room for backfill and resolves with how many events it may add (0: the connection closed). Never
   * resolves in the same turn: only after a flush, in a macrotask of the hub's, once the socket has taken what was
   * queued before — so a replay cannot run ahead of its socket, nor loop without yielding to the event loop.
   */
  room(): Promise<number>;
  /** Gives back a reservation of `room` once the page it was for has been handed on. */
  release(reserved: number): void;
}

export interface JobStreamOptions {
  /** Largest page read from the log at once. */
  pageSize: number;
  /** Live events held while the log is replayed; past this they are let go and read from the log again. */
  maxPending: number;
}

const isEnding = (event: JobEvent): boolean =>
  event.type === "job_completed" || event.type === "job_failed" || event.type === "job_cancelled";

/**
 * One job's events on one connection, without a gap or a duplicate (docs/websocket-events.md, "Connection status and
 * heartbeat": resume loses nothing).
 *
 * Backfill (the replay of `since`, `resume` and a new subscription) is read from the log a page at a time, each page
 * only once the connection has room for it (`room`, which resolves after a flush), and handed on as backfill, which
 * the send queue never drops. The hub's live listener is registered before `replay` starts, so every event is either
 * in the log when a page is read or arrives live afterwards: live events that arrive during the replay wait in
 * `pending`, which always holds consecutive seqs (an overflow empties it; the log still holds what it let go). Once
 * the events read from the log join up with the held ones — or the log is read to its end — the held ones follow
 * and the stream is live. `lastSeq` is the one dedupe point: an event at or below it was already handed on.
 */
export class JobStream {
  /** Highest seq handed to the sink or passed over on purpose. */
  lastSeq = 0;
  /** Live events held back while the log is replayed; null once live. A new stream holds until told where to start. */
  #pending: JobEvent[] | null = [];
  #pendingOverflowed = false;
  /** The log is being (or, once the connection recovers from a stall, will be) replayed: nothing of it is dropped. */
  #backfilling = true;
  #generation = 0;
  #closed = false;
  #ended = false;

  constructor(
    readonly job_id: string,
    private readonly jobs: Pick<JobService, "events">,
    private readonly sink: StreamSink,
    private readonly options: JobStreamOptions,
  ) {}

  /** The job's ending event has been handed on: nothing of this job follows. */
  get ended(): boolean {
    return this.#ended;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get replaying(): boolean {
    return this.#pending !== null;
  }

  /** Starts live at an event the hub saw first (a flow socket meeting a job): nothing before it is replayed. */
  startLive(lastSeq: number): void {
    this.lastSeq = lastSeq;
    this.#pending = null;
    this.#backfilling = false;
  }

  /** A live event of this job, from the hub's listener. Never blocks. */
  offer(event: JobEvent): void {
    if (this.#closed) return;
    const pending = this.#pending;
    if (pending === null) {
      this.#deliver(event, true);
    } else if (pending.length < this.options.maxPending) {
      pending.push(event);
    } else {
      pending.length = 0;
      this.#pendingOverflowed = true;
    }
  }

  /**
   * Sends the logged events with `seq > since`, then continues live. Calling it again restarts from the new `since`
   * (a `resume` on an open socket); the earlier replay stops at its next step.
   */
  async replay(since: number): Promise<void> {
    const generation = ++this.#generation;
    const current = () => generation === this.#generation && !this.#closed;
    this.lastSeq = since;
    this.#pending = [];
    this.#pendingOverflowed = false;
    this.#backfilling = true;
    for (;;) {
      const reserved = await this.sink.room();
      try {
        if (!current() || reserved === 0) return;
        // Pages until the reservation is used up (each read takes at least one event of it, or ends the replay);
        // then the next reservation waits for the socket.
        for (let left = reserved; left > 0; ) {
          // Reset before the read: an overflow from here on means `pending` may miss events the page does not hold.
          this.#pendingOverflowed = false;
          const page = await this.jobs.events(
            this.job_id,
            this.lastSeq,
            Math.min(left, this.options.pageSize),
          );
          if (!current()) return;
          left -= Math.max(1, page.events.length);
          if (page.oldest_seq > this.lastSeq + 1 && page.last_seq > this.lastSeq) {
            this.sink.control({ type: "stream:truncated", job_id: this.job_id, oldest_seq: page.oldest_seq });
            this.lastSeq = page.oldest_seq - 1;
          }
          for (const event of page.events) this.#deliver(event, false);
          const pending = this.#heldAfterLastSeq();
          const joined = pending.length > 0 && pending[0]!.seq === this.lastSeq + 1;
          const readToEnd =
            (this.lastSeq >= page.last_seq || page.events.length === 0) && !this.#pendingOverflowed;
          if (joined || readToEnd) {
            // Live from here: the held events are in the log already, so they go as backfill too.
            this.#pending = null;
            this.#backfilling = false;
            for (const event of pending) this.#deliver(event, false);
            return;
          }
        }
      } finally {
        this.sink.release(reserved);
      }
    }
  }

  /** The held live events not yet handed on (the pages read may have covered the oldest ones). */
  #heldAfterLastSeq(): JobEvent[] {
    const pending = this.#pending ?? [];
    let covered = 0;
    while (covered < pending.length && pending[covered]!.seq <= this.lastSeq) covered++;
    if (covered > 0) pending.splice(0, covered);
    return pending;
  }

  /** A replay asked for while the connection is stalled: it starts from `since` when the connection recovers. */
  deferReplay(since: number): void {
    this.lastSeq = since;
    this.#backfilling = true;
    this.suspend();
  }

  /** Stops a replay in progress and holds nothing: the connection is stalled and skips this job's live events. */
  suspend(): void {
    this.#generation++;
    this.#pending = null;
  }

  /**
   * After a stall. A stream that was replaying continues its replay where it stopped: backfill is never dropped.
   * A live one reports the events after `lastSeq` that the client missed as dropped, except the newest `keep`,
   * which are sent (from the log), and continues live — what dropping the oldest queued events one by one during
   * the stall would have left, without paying for it per event.
   */
  async resumeAfterStall(keep: number): Promise<void> {
    if (this.#backfilling) return this.replay(this.lastSeq);
    const generation = ++this.#generation;
    this.#pending = [];
    const from = this.lastSeq + 1;
    const { last_seq } = await this.jobs.events(this.job_id, Number.MAX_SAFE_INTEGER, 1);
    if (generation !== this.#generation || this.#closed) return;
    const keepFrom = Math.max(from, last_seq - keep + 1);
    if (keepFrom > from) this.sink.dropped(this.job_id, from, keepFrom - 1);
    await this.replay(keepFrom - 1);
  }

  close(): void {
    this.#closed = true;
    this.#pending = null;
  }

  #deliver(event: JobEvent, live: boolean): void {
    if (event.seq <= this.lastSeq) return;
    this.lastSeq = event.seq;
    if (isEnding(event)) this.#ended = true;
    this.sink.accept(event, live);
  }
}
