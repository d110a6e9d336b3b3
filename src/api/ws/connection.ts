import type { Clock } from "../../core/clock.js";
import { NotFoundError } from "../../core/errors.js";
import type { JobEvent, JobRecord } from "../../core/types.js";
import type { JobService } from "../../service/job-service.js";
import { type DebugSessionSource, DebugSessionTracker } from "./debug-session.js";
import { JobStream, type StreamSink } from "./job-stream.js";
import {
  type ClientMessage,
  type ControlMessage,
  DEBUG_EVENT_TYPES,
  type EventFraming,
  frameEvent,
  metricsMessage,
  parseClientMessage,
  subscriptionLimitError,
  type WsErrorCode,
} from "./protocol.js";
import { SendQueue } from "./send-queue.js";
import { Subscription } from "./subscription.js";

/** Which endpoint a socket came in through (docs/websocket-events.md). */
export type ConnectionScope =
  | { kind: "job"; job_id: string; since: number }
  | { kind: "debug"; job_id: string; since: number }
  | { kind: "flow"; flow_id: string }
  | { kind: "all" };

/** The socket as a connection sees it; the hub builds it from hono's `WSContext` and the runtime's access. */
export interface SocketPort {
  send(text: string): void;
  close(code: number, reason: string): void;
  /** Bytes sent but not yet written to the network; 0 where the runtime cannot tell. */
  bufferedAmount(): number;
  /** Protocol-level ping, where the runtime can send one. */
  ping?(): void;
}

/** What a connection needs from its hub. */
export interface ConnectionContext {
  readonly jobs: JobService;
  readonly clock: Clock;
  readonly heartbeatSeconds: number;
  readonly maxQueue: number;
  /** Jobs a `/ws` socket may subscribe to (`ROUTILUX_MAX_SUBSCRIPTIONS`). */
  readonly maxSubscriptions: number;
  readonly pageSize: number;
  readonly debugSession?: DebugSessionSource;
  /** Routes the job's live events to this connection from now on. */
  follow(connection: Connection, job_id: string): void;
  unfollow(connection: Connection, job_id: string): void;
  /** Routes the live events of every job of the flow to this connection from now on. */
  followFlow(connection: Connection, flow_id: string): void;
  /**
   * The client stopped reading (`isStalled` is now true): route none of its jobs' live events to `offer` until
   * `unpark` (called once it is false again). A flow socket still gets its flow's `job_*` events through `meet`, so
   * it learns of jobs that start meanwhile.
   */
  park(connection: Connection): void;
  unpark(connection: Connection): void;
  /** This connection has something to send: flush it soon (never synchronously inside the engine's listener). */
  wake(connection: Connection): void;
  /** The connection is finished; forget it. */
  closed(connection: Connection): void;
  onError(error: unknown): void;
}

/** Close codes of the contract. */
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_POLICY_VIOLATION = 1008;
export const CLOSE_INTERNAL_ERROR = 1011;
export const CLOSE_MISSED_PONGS = 4408;

/** Past this many bytes waiting in the runtime's socket buffer, events stay in our queue (where they can be dropped). */
export const SOCKET_HIGH_WATER_BYTES = 256 * 1024;

/** Two unanswered protocol pings and the peer is gone (the spec's "misses two pongs"). */
const MAX_UNANSWERED_PINGS = 2;

/** Control messages are few (replies, heartbeats); this many unsent means the client stopped reading altogether. */
const MAX_QUEUED_CONTROLS = 256;

/**
 * Pages of backfill a connection queues at most: two, so that the next is read while the socket takes the last
 * (one alone left the socket idle every other turn: a replay took twice as long).
 */
const BACKFILL_PAGES = 2;

export type FlushResult = "idle" | "blocked" | "more";

/**
 * One WebSocket: its subscription, its send queue and the protocol's verbs. Events come in from the hub through
 * `offer` (synchronously, inside the engine's listener: they are only queued here) and leave through `flush`, which
 * the hub calls from a macrotask of its own.
 */
export class Connection {
  readonly subscription = new Subscription();
  readonly queue: SendQueue;
  /** Messages handed to the socket so far (counters for `WsHub.stats`). */
  sentMessages = 0;
  readonly #framing: EventFraming;
  readonly #sink: StreamSink;
  /** Resolves once the endpoint's first messages are queued; client commands wait for it. */
  #opened: Promise<void> = Promise.resolve();
  /** Client commands run one after another, so replies come in the order they were asked. */
  #commands: Promise<void> = Promise.resolve();
  #session: DebugSessionTracker | null = null;
  /** Replays waiting for room, served one at a time in turn after each flush. */
  #roomWaiters: ((reserved: number) => void)[] = [];
  /** Backfill room handed to replays and not yet given back. */
  #reserved = 0;
  #unansweredPings = 0;
  #closed = false;
  /** True from a wake until a flush leaves nothing behind: one check per event instead of a call into the hub. */
  #flushRequested = false;
  #lastStream: JobStream | undefined;
  /** The runtime's socket buffer was over its high-water mark at the last flush. */
  #socketFull = false;
  /**
   * Queue full and socket full: every new event would only push an older one out. The hub then stops routing live
   * events here until the socket drains; see `#stall` and `#recover`.
   */
  #stalled = false;

  constructor(
    readonly id: string,
    readonly scope: ConnectionScope,
    private readonly socket: SocketPort,
    private readonly ctx: ConnectionContext,
  ) {
    this.queue = new SendQueue(ctx.maxQueue, MAX_QUEUED_CONTROLS);
    this.#framing =
      scope.kind === "debug"
        ? { kind: "debug" }
        : scope.kind === "flow"
          ? { kind: "flow", flow_id: scope.flow_id }
          : { kind: "plain" };
    this.#sink = {
      accept: (event, live) => this.#accept(event, live),
      control: (message) => this.#control(message),
      dropped: (job_id, from_seq, to_seq) => {
        this.queue.noteDropped(job_id, from_seq, to_seq);
        this.#requestFlush();
      },
      room: () => this.#room(),
      release: (reserved) => {
        this.#reserved -= reserved;
      },
    };
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** Its client stopped reading: the hub routes it no live events (see `#stall`). */
  get isStalled(): boolean {
    return this.#stalled;
  }

  // ---- lifecycle ------------------------------------------------------------------------------------------------

  /** Sends `connection:status`, then the endpoint's first message, then starts its streams. */
  open(): void {
    const now = this.ctx.clock.iso();
    this.#control({
      type: "connection:status",
      status: "connected",
      connection_id: this.id,
      timestamp: now,
      server_time: now,
      heartbeat_interval: this.ctx.heartbeatSeconds,
    });
    this.#opened = this.#start().catch((error) => this.#fail(error));
  }

  async #start(): Promise<void> {
    const scope = this.scope;
    switch (scope.kind) {
      case "job": {
        // The stream exists (holding live events) before anything is read, so nothing falls between read and live.
        const stream = this.#followJob(scope.job_id);
        this.#control(metricsMessage(scope.job_id, await this.ctx.jobs.metrics(scope.job_id)));
        this.#replay(stream, scope.since);
        return;
      }
      case "debug": {
        const stream = this.#followJob(scope.job_id);
        const record = await this.ctx.jobs.get(scope.job_id);
        this.#session = new DebugSessionTracker(scope.job_id, record.status, this.ctx.debugSession);
        const first = await this.#session.changed();
        if (first) this.#control(first);
        this.#replay(stream, scope.since);
        return;
      }
      case "flow": {
        const { total_jobs } = await this.ctx.jobs.flowMetrics(scope.flow_id);
        this.#control({ type: "flow_metrics", flow_id: scope.flow_id, total_jobs });
        // From here on (same turn as the message above) every event of the flow's jobs reaches this socket.
        this.ctx.followFlow(this, scope.flow_id);
        return;
      }
      case "all":
        return;
    }
  }

  /** The socket closed (client or network): stop everything, keep nothing. */
  socketClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#teardown();
  }

  /** Closes the socket from our side. */
  close(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#teardown();
    try {
      this.socket.close(code, reason);
    } catch (error) {
      this.ctx.onError(error);
    }
  }

  /** Server shutdown: tell the client, bypassing the queue (it may be full), then close with 1001. */
  shutdown(): void {
    if (this.#closed) return;
    try {
      this.socket.send(JSON.stringify({ type: "connection:status", status: "closing" }));
    } catch {
      // The socket is already gone; closing below is all that is left to do.
    }
    this.close(CLOSE_GOING_AWAY, "Server shutting down");
  }

  #teardown(): void {
    this.subscription.close();
    this.queue.clear();
    this.#releaseRoomWaiters();
    this.ctx.closed(this);
  }

  #fail(error: unknown): void {
    if (this.#closed) return;
    this.ctx.onError(error);
    this.close(CLOSE_INTERNAL_ERROR, "Internal error");
  }

  // ---- heartbeat ------------------------------------------------------------------------------------------------

  /** Called by the hub every heartbeat interval. Only protocol pongs count: app-level ones are optional. */
  heartbeat(): void {
    if (this.#closed) return;
    if (this.socket.ping) {
      if (this.#unansweredPings >= MAX_UNANSWERED_PINGS) {
        this.close(CLOSE_MISSED_PONGS, "Missed two pongs");
        return;
      }
      this.#unansweredPings++;
      this.socket.ping();
    }
    this.#control({ type: "ping", timestamp: this.ctx.clock.iso() });
  }

  /** A protocol pong arrived. */
  pong(): void {
    this.#unansweredPings = 0;
  }

  // ---- events in --------------------------------------------------------------------------------------------------

  /** A live event of a job this connection follows, or of a job of its flow. */
  offer(event: JobEvent): void {
    if (this.#closed) return;
    // Events of one job come in runs: the last stream saves a Map lookup per event.
    const last = this.#lastStream;
    let stream =
      last !== undefined && last.job_id === event.job_id && !last.closed
        ? last
        : this.subscription.stream(event.job_id);
    if (!stream) {
      if (this.scope.kind !== "flow") return;
      // A flow socket meets a job at its first event after the socket opened and follows it live from there.
      stream = this.#meet(event);
    }
    this.#lastStream = stream;
    stream.offer(event);
    if (this.scope.kind === "flow" && stream.ended && !stream.replaying) {
      // Nothing follows a job's ending: forget the stream so a long-lived flow socket holds no state per old job.
      this.subscription.unfollow(event.job_id);
    }
  }

  /**
   * A `job_*` event of the flow of a parked flow socket. The socket skips the job's events until it recovers, but
   * a job it has not met yet is met here, so that recovery reports what the client missed of it.
   */
  meet(event: JobEvent): void {
    if (this.#closed || this.subscription.stream(event.job_id)) return;
    this.#meet(event).suspend();
  }

  #meet(event: JobEvent): JobStream {
    const stream = this.#newStream(event.job_id);
    stream.startLive(event.seq - 1);
    this.subscription.follow(stream);
    return stream;
  }

  /** A `job_*` event of any job, for `/ws` sockets; the jobs it follows by id arrive through `offer` instead. */
  offerLifecycle(event: JobEvent): void {
    if (this.#closed || this.subscription.stream(event.job_id)) return;
    if (!this.subscription.wants(event.type)) return;
    // Lifecycle events are few: even on a stalled socket they take the ordinary drop-oldest path.
    this.queue.pushEvent(event);
    this.#requestFlush();
  }

  #accept(event: JobEvent, live: boolean): void {
    const session = this.#session;
    if (session) {
      const changed = session.observe(event);
      if (DEBUG_EVENT_TYPES.has(event.type) && this.subscription.wants(event.type)) this.#push(event, live);
      // During a replay the session is compared once at its end, not at every historical pause.
      if (changed && live) this.#refreshSession();
      return;
    }
    if (!this.subscription.wants(event.type)) return;
    this.#push(event, live);
  }

  #push(event: JobEvent, live: boolean): void {
    if (!live) {
      // Backfill: bounded by the room its replay reserved, and never dropped.
      this.queue.pushBackfill(event);
      this.#requestFlush();
      return;
    }
    if (this.#socketFull && this.queue.eventCount >= this.queue.maxEvents && !this.#stalled) this.#stall();
    this.queue.pushEvent(event);
    this.#requestFlush();
  }

  /**
   * The client reads nothing and the queue is full. Dropping the oldest queued event for each new one would keep
   * the newest `maxQueue` events at a cost per event that the engine pays; instead the queued events are dropped now
   * (they are the oldest), streams skip live events, and `#recover` later reads the newest ones back from the logs.
   * The client sees what drop-oldest gives — `events:dropped` ranges, then the newest events — and the hub stops
   * routing the jobs' events here, so a stalled socket costs the engine nothing per event.
   */
  #stall(): void {
    this.#stalled = true;
    this.queue.dropAllEvents();
    for (const stream of this.subscription.streams()) stream.suspend();
    this.ctx.park(this);
  }

  /** The socket drained after a stall: each stream reports what it skipped and continues from its newest events. */
  #recover(): void {
    this.#stalled = false;
    // Routed again before any log is read, so that every stream's replay meets its live events without a gap.
    this.ctx.unpark(this);
    const keep = Math.max(1, Math.floor(this.queue.maxEvents / 2));
    for (const stream of this.subscription.streams()) this.#follow(stream, stream.resumeAfterStall(keep));
  }

  #refreshSession(): void {
    const session = this.#session;
    if (!session) return;
    session.changed().then(
      (message) => {
        if (message && !this.#closed) this.#control(message);
      },
      (error) => this.ctx.onError(error),
    );
  }

  // ---- events out -------------------------------------------------------------------------------------------------

  /**
   * Sends queued messages until the queue is empty, `budget` messages went out, `deadline` (`performance.now()`)
   * passed, or the runtime's socket buffer is over its high-water mark (then the rest waits, and new events push the oldest out of the queue).
   */
  flush(budget: number, deadline = Number.POSITIVE_INFINITY): FlushResult {
    const result = this.#flushSome(budget, deadline);
    this.#flushRequested = result !== "idle";
    return result;
  }

  #requestFlush(): void {
    if (this.#flushRequested) return;
    this.#flushRequested = true;
    this.ctx.wake(this);
  }

  #flushSome(budget: number, deadline: number): FlushResult {
    if (this.#closed) return "idle";
    let result: FlushResult = "idle";
    for (let sent = 0; ; sent++) {
      // The clock is read every few messages: large events make even a small budget a long turn.
      if (sent >= budget || ((sent & 7) === 7 && performance.now() > deadline)) {
        result = "more";
        break;
      }
      if (this.socket.bufferedAmount() > SOCKET_HIGH_WATER_BYTES) {
        this.#socketFull = true;
        result = "blocked";
        break;
      }
      this.#socketFull = false;
      const next = this.queue.shift();
      if (!next) break;
      try {
        this.socket.send(next.text ?? frameEvent(next.event, this.#framing));
        this.sentMessages++;
      } catch (error) {
        this.#fail(error);
        return "idle";
      }
    }
    this.#grantRoom();
    if (this.#stalled && result === "idle") this.#recover();
    return result;
  }

  /**
   * Room for one page of backfill, reserved for the caller; resolves only from a flush (a macrotask of the hub's),
   * never in the caller's turn. At most `BACKFILL_PAGES` pages of backfill are queued or reserved at once, whatever the
   * number of replays, so backfill reaches the socket as fast as it takes it and costs bounded memory.
   */
  #room(): Promise<number> {
    if (this.#closed) return Promise.resolve(0);
    return new Promise((resolve) => {
      this.#roomWaiters.push(resolve);
      this.#requestFlush();
    });
  }

  /** After a flush: the replays waiting for room get it in turn, the first in line all there is. */
  #grantRoom(): void {
    const waiters = this.#roomWaiters;
    while (waiters.length > 0) {
      const free = BACKFILL_PAGES * this.ctx.pageSize - this.queue.backfillCount - this.#reserved;
      if (free <= 0) return;
      this.#reserved += free;
      waiters.shift()!(free);
    }
  }

  /** The connection closed: waiting replays learn it (room 0) and stop. */
  #releaseRoomWaiters(): void {
    const waiters = this.#roomWaiters;
    this.#roomWaiters = [];
    for (const wake of waiters) wake(0);
  }

  #control(message: ControlMessage): void {
    if (this.#closed) return;
    if (!this.queue.pushControl(JSON.stringify(message))) {
      this.close(CLOSE_POLICY_VIOLATION, "Send queue overflow: the client is not reading");
      return;
    }
    this.#requestFlush();
  }

  #error(code: WsErrorCode, message: string): void {
    this.#control({ type: "error", code, message });
  }

  // ---- client messages --------------------------------------------------------------------------------------------

  /** One frame from the client. A bad one gets an error message; the socket stays open. */
  receive(data: unknown): void {
    if (this.#closed) return;
    if (typeof data !== "string") {
      this.#error("BAD_MESSAGE", "Binary frames are not accepted: send JSON text");
      return;
    }
    const parsed = parseClientMessage(data);
    if (!parsed.ok) {
      this.#error(parsed.code, parsed.message);
      return;
    }
    const message = parsed.message;
    if (message.action === "pong") return;
    if (message.action === "ping") {
      // At once: a ping never waits behind a command, only behind the endpoint's first messages.
      this.#opened.then(() => this.#control({ type: "pong", timestamp: this.ctx.clock.iso() }));
      return;
    }
    this.#commands = this.#commands
      .then(() => this.#opened)
      .then(() => this.#handle(message))
      .catch((error) => this.#fail(error));
  }

  async #handle(message: Exclude<ClientMessage, { action: "ping" | "pong" }>): Promise<void> {
    if (this.#closed) return;
    switch (message.action) {
      case "subscribe": {
        if (message.job_id !== undefined) {
          if (!this.#acceptsJobIds("subscribe")) return;
          if (!this.subscription.stream(message.job_id) && !this.#roomForSubscription()) return;
          if ((await this.#jobRecord(message.job_id)) === null) return;
        }
        if (message.events) this.subscription.only(message.events);
        if (message.job_id !== undefined) {
          const existing = this.subscription.stream(message.job_id);
          if (!existing) {
            const stream = this.#followJob(message.job_id);
            this.#control(this.subscription.reply());
            this.#replay(stream, message.since ?? 0);
            return;
          }
          if (message.since !== undefined) this.#restart(existing, message.since);
        }
        this.#control(this.subscription.reply());
        return;
      }
      case "unsubscribe": {
        if (message.job_id !== undefined) {
          if (!this.#acceptsJobIds("unsubscribe")) return;
          if (this.subscription.unfollow(message.job_id)) this.ctx.unfollow(this, message.job_id);
        }
        if (message.events) this.subscription.without(message.events);
        this.#control(this.subscription.reply());
        return;
      }
      case "subscribe_all":
        this.subscription.all();
        this.#control(this.subscription.reply());
        return;
      case "resume":
        await this.#resume(message.job_id, message.since);
        return;
    }
  }

  async #resume(requested: string | undefined, since: number): Promise<void> {
    const scope = this.scope;
    let job_id = requested;
    if (scope.kind === "job" || scope.kind === "debug") {
      if (job_id !== undefined && job_id !== scope.job_id) {
        this.#error("BAD_MESSAGE", `This socket follows job '${scope.job_id}'; resume others on /ws`);
        return;
      }
      job_id = scope.job_id;
    }
    if (job_id === undefined) {
      this.#error("BAD_MESSAGE", "Invalid 'resume' message: job_id: required on this socket");
      return;
    }
    const existing = this.subscription.stream(job_id);
    if (existing) {
      this.#restart(existing, since);
      return;
    }
    // On /ws a resume of a job not followed yet subscribes to it.
    if (scope.kind === "all" && !this.#roomForSubscription()) return;
    const record = await this.#jobRecord(job_id);
    if (record === null) return;
    if (scope.kind === "flow" && record.flow_id !== scope.flow_id) {
      this.#error("JOB_NOT_FOUND", `Job '${job_id}' is not a job of flow '${scope.flow_id}'`);
      return;
    }
    // A flow socket may have met the job live while its record was read.
    const met = this.subscription.stream(job_id);
    if (met) {
      this.#restart(met, since);
      return;
    }
    // A flow socket's streams get their live events through the flow; the others are routed by job id.
    const stream = scope.kind === "flow" ? this.#newStream(job_id) : this.#followJob(job_id);
    if (scope.kind === "flow") this.subscription.follow(stream);
    this.#replay(stream, since);
  }

  #acceptsJobIds(verb: string): boolean {
    if (this.scope.kind === "all") return true;
    this.#error("BAD_MESSAGE", `Invalid '${verb}' message: job_id: jobs are subscribed by id on /ws only`);
    return false;
  }

  /** False, after telling the client, when the socket already follows `ROUTILUX_MAX_SUBSCRIPTIONS` jobs. */
  #roomForSubscription(): boolean {
    if (this.subscription.size < this.ctx.maxSubscriptions) return true;
    this.#control(subscriptionLimitError(this.ctx.maxSubscriptions));
    return false;
  }

  /** The job's record, or null after telling the client there is no such job. */
  async #jobRecord(job_id: string): Promise<JobRecord | null> {
    try {
      return await this.ctx.jobs.get(job_id);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      this.#error("JOB_NOT_FOUND", error.message);
      return null;
    }
  }

  // ---- streams ----------------------------------------------------------------------------------------------------

  #newStream(job_id: string): JobStream {
    return new JobStream(job_id, this.ctx.jobs, this.#sink, {
      pageSize: this.ctx.pageSize,
      maxPending: this.ctx.maxQueue,
    });
  }

  /** A held stream for the job, routed from the hub from now on; `replay` releases it. */
  #followJob(job_id: string): JobStream {
    const stream = this.#newStream(job_id);
    this.subscription.follow(stream);
    this.ctx.follow(this, job_id);
    return stream;
  }

  /** Replays an already followed job again from `since`: what is queued for it now would only be repeated. */
  #restart(stream: JobStream, since: number): void {
    this.queue.purgeJob(stream.job_id);
    this.#replay(stream, since);
  }

  #replay(stream: JobStream, since: number): void {
    if (this.#stalled) {
      // Nothing can be sent now; `#recover` starts it from `since` with the rest.
      stream.deferReplay(since);
      return;
    }
    this.#follow(stream, stream.replay(since));
  }

  /** Handles the end of a replay: a debug socket compares its session again; a lost job is reported. */
  #follow(stream: JobStream, replay: Promise<void>): void {
    replay.then(
      () => {
        if (this.#closed) return;
        if (this.#session) this.#refreshSession();
        // A flow socket forgets a job once its ending has been sent, whichever way it came.
        if (this.scope.kind === "flow" && stream.ended && !stream.replaying)
          this.subscription.unfollow(stream.job_id);
      },
      (error) => {
        if (error instanceof NotFoundError) {
          // The job went away (retention) while it was being replayed.
          this.#error("JOB_NOT_FOUND", error.message);
          if (this.subscription.unfollow(stream.job_id)) this.ctx.unfollow(this, stream.job_id);
          return;
        }
        this.#fail(error);
      },
    );
  }
}
