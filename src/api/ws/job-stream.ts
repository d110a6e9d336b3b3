import type { JobEvent } from "../../core/types.js";
import type { JobService } from "../../service/job-service.js";
import type { ControlMessage } from "./protocol.js";

/** Where a stream's events go: the connection, which filters, frames and queues them. */
export interface StreamSink {
  /** An event of this job, each seq at most once and in seq order. `live` is false while the log is replayed. */
  accept(event: JobEvent, live: boolean): void;
  control(message: ControlMessage): void;
  /** Events `from_seq`…`to_seq` of the job will not be sent on this socket (the client may fetch them over HTTP). */
  dropped(job_id: string, from_seq: number, to_seq: number): void;
  /** Resolves with how many events may be queued now without overflowing; waits while the queue is too full. */
  room(): Promise<number>;
}

export interface JobStreamOptions {
  /** Largest page read from the log at once. */
  pageSize: number;
  /** Live events held while the log is replayed; past this they are let go and read from the log again. */
  maxPending: number;
}

/**
 * One job's events on one connection, without a gap or a duplicate (shared/spec/websocket.md, "Connection status and
 * heartbeat": resume loses nothing).
 *
 * The hub's live listener is registered before `replay` starts, so every event is either already in the log when a
 * page is read or arrives live afterwards. Live events that arrive during the replay wait in `pending`; once a page
 * reaches the end of the log they are sent after it. `lastSeq` is the one dedupe point: an event at or below it was
 * already handed on. Replay pages, and the held live events at the end, go to the send queue only when it has room for
 * them, so a slow client makes the replay wait rather than drop; if `pending` outgrows its cap meanwhile, it is
 * emptied and the log is read again — the log holds those events, so memory stays bounded and nothing is lost
 * (unless the log itself was truncated, which is said with `stream:truncated`).
 */
export class JobStream {
  /** Highest seq handed to the sink or passed over on purpose. */
  lastSeq = 0;
  /** Live events held back while the log is replayed; null once live. A new stream holds until told where to start. */
  #pending: JobEvent[] | null = [];
  #pendingOverflowed = false;
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
    for (;;) {
      const room = await this.sink.room();
      if (!current()) return;
      const page = await this.jobs.events(
        this.job_id,
        this.lastSeq,
        Math.max(1, Math.min(room, this.options.pageSize)),
      );
      if (!current()) return;
      if (page.oldest_seq > this.lastSeq + 1 && page.last_seq > this.lastSeq) {
        this.sink.control({ type: "stream:truncated", job_id: this.job_id, oldest_seq: page.oldest_seq });
        this.lastSeq = page.oldest_seq - 1;
      }
      for (const event of page.events) this.#deliver(event, false);
      if (this.lastSeq < page.last_seq && page.events.length > 0) continue;
      if (this.#pendingOverflowed) {
        this.#pendingOverflowed = false;
        continue;
      }
      // The held live events go out only if the queue can take them all; otherwise they are read from the log,
      // a page at a time like the rest, and only the newer ones stay held.
      const free = await this.sink.room();
      if (!current()) return;
      const pending = this.#pending ?? [];
      if (pending.length > free || this.#pendingOverflowed) continue;
      this.#pending = null;
      for (const event of pending) this.#deliver(event, true);
      return;
    }
  }

  /** Stops a replay in progress and holds nothing: the connection is stalled and skips this job's live events. */
  suspend(): void {
    this.#generation++;
    this.#pending = null;
  }

  /**
   * After a stall: the events after `lastSeq` that the client missed are reported dropped except the newest `keep`,
   * which are sent (from the log), and the stream continues live — what dropping the oldest queued events one by
   * one during the stall would have left, without paying for it per event.
   */
  async resumeAfterStall(keep: number): Promise<void> {
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
    if (event.type === "job_completed" || event.type === "job_failed" || event.type === "job_cancelled") {
      this.#ended = true;
    }
    this.sink.accept(event, live);
  }
}
