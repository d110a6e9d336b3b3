import { type Clock, defaultClock, monotonicSeconds, secondsSince } from "./clock.js";
import { type CompiledFlow, type CompiledRoutine, mapPayload, type Route } from "./compiled-flow.js";
import { Delivery, DeliveryContext, type PausedAt, type SafePointHooks } from "./delivery.js";
import { Deque } from "./deque.js";
import { InvalidStateError, LimitExceededError, NotFoundError, RoutineUsageError } from "./errors.js";
import { EVENT_BYTES, EventLog, MemoryBudget } from "./event-log.js";
import { type JobLimits, JobMemory } from "./job-memory.js";
import type { JobSnapshot } from "./job-snapshot.js";
import { jsonSize } from "./json-size.js";
import { plainCopy, setOwn } from "./own-keys.js";
import type { RoutineContext } from "./routine.js";
import { armChained, MAX_WAIT_MS } from "./timers.js";
import {
  isFinished,
  type JobEvent,
  type JobRecord,
  type JobStatus,
  type JsonObject,
  type PauseReason,
} from "./types.js";
import { countSettled, type JobTotals, newRoutineTotals, type RoutineTotals } from "./views.js";

export interface JobOptions {
  job_id: string;
  flow: CompiledFlow;
  clock?: Clock;
  /** Event log cap; the oldest events are dropped beyond it. */
  maxEvents?: number;
  limits?: JobLimits;
  /** All jobs' memory together (ROUTILUX_MAX_TOTAL_BYTES): a job that grows it past its limit fails. */
  budget?: MemoryBudget;
  /** Seconds; overrides the flow's timeout. */
  timeout?: number | null;
  /** Continue a job from a snapshot (and the tail of its log) instead of starting a new one. */
  restore?: { snapshot: JobSnapshot; events: readonly JobEvent[] };
}

/** Run sync handlers back to back for at most this long before yielding, so control calls get a turn. */
const TIME_SLICE_MS = 4;

const scheduleMacrotask: (fn: () => void) => void =
  typeof globalThis.setImmediate === "function"
    ? (fn) => globalThis.setImmediate(fn)
    : (fn) => setTimeout(fn, 0);

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  value !== null && typeof value === "object" && typeof (value as PromiseLike<unknown>).then === "function";

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** A map keyed by payload keys or routine ids: no prototype, so `toString` or `__proto__` is a key like any other. */
const dict = <T>(): Record<string, T> => Object.create(null) as Record<string, T>;

/** Copies own keys one by one; unlike Object.assign, an own `__proto__` key stays a key (target is a dict). */
function copyInto(target: JsonObject, source: JsonObject): JsonObject {
  for (const key of Object.keys(source)) target[key] = source[key];
  return target;
}

/** One routine's state and counts within one job. */
interface RoutineRun {
  readonly state: JsonObject;
  readonly totals: RoutineTotals;
}

/**
 * One run of a flow: a queue of deliveries, a scheduler that runs them at most `maxWorkers` at a time,
 * and an event log of everything that happened. Completes by itself when nothing is queued or running.
 */
export class Job {
  readonly job_id: string;
  readonly flow_id: string;
  readonly log: EventLog;
  /** No prototype: a handler writing `shared[key]` with a payload key stores that key, whatever it is. */
  readonly shared: JsonObject = dict();
  created_at: string;
  started_at: string | null = null;
  completed_at: string | null = null;
  error: string | null = null;
  pausedAt: PausedAt | null = null;
  /** Resolves with the final record once the job has completed, failed or been cancelled. */
  readonly done: Promise<JobRecord>;

  readonly #flow: CompiledFlow;
  readonly #clock: Clock;
  readonly #queue = new Deque<Delivery>();
  readonly #abort = new AbortController();
  readonly #routines = new Map<string, RoutineRun>();
  readonly #mergeBuffers = new Map<Route, Record<string, unknown[]>>();
  #slotCalls = 0;
  #eventEmits = 0;
  readonly #memory: JobMemory;
  /** Deliveries whose handler returned a promise that has not settled yet. */
  readonly #running = new Set<Delivery>();
  /**
   * The delivery whose synchronous handler is on the stack right now. Kept apart from #running because most
   * handlers are synchronous: a field write is far cheaper than a Set add and delete per delivery.
   */
  #inline: Delivery | null = null;
  /** Pending retries: work that is not queued yet but keeps the job from completing. */
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #timeoutTimer: ReturnType<typeof setTimeout> | undefined;
  #deadline: string | null = null;
  readonly #timeout: number | null;
  #status: JobStatus = "pending";
  #hooks: SafePointHooks | null = null;
  #pumpScheduled = false;
  /** True while the delivery loop runs; an emit from outside it (an async handler) must wake the loop. */
  #inPump = false;
  #busyMs = 0;
  #resolveDone!: (record: JobRecord) => void;

  constructor(options: JobOptions) {
    this.job_id = options.job_id;
    this.flow_id = options.flow.flow_id;
    this.#flow = options.flow;
    this.#clock = options.clock ?? defaultClock;
    this.#timeout = options.timeout ?? options.flow.timeout;
    const limits = options.limits ?? {};
    const budget = options.budget ?? new MemoryBudget();
    this.log = new EventLog(this.job_id, {
      maxEvents: options.maxEvents,
      maxBytes: limits.maxLogBytes,
      budget,
      clock: this.#clock,
    });
    this.created_at = this.#clock.iso();
    this.done = new Promise((resolve) => {
      this.#resolveDone = resolve;
    });
    for (const routine_id of options.flow.routines.keys())
      this.#routines.set(routine_id, { state: dict(), totals: newRoutineTotals() });
    this.#memory = new JobMemory(limits, budget, this.shared, this.#routines);
    if (options.restore) this.#restore(options.restore.snapshot, options.restore.events);
  }

  /** A snapshot to continue from elsewhere; null while a handler runs (its progress cannot be captured). */
  snapshot(): JobSnapshot | null {
    if (this.#running.size > 0 || this.#inline !== null || this.#timers.size > 0) return null;
    const queue = [...this.#queue];
    const parked = this.pausedAt?.delivery ?? null;
    const merge_buffers: JobSnapshot["merge_buffers"] = {};
    for (const [route, buffer] of this.#mergeBuffers)
      merge_buffers[`${route.routine.routine_id}.${route.slot}`] = plainCopy(buffer);
    return {
      record: this.record(),
      last_seq: this.log.lastSeq,
      queue: queue.map((d) => ({
        routine_id: d.routine_id,
        slot_name: d.slot_name,
        payload: d.payload,
        caused_by: d.caused_by,
        event_name: d.event_name,
        attempt: d.attempt,
        cleared: d.cleared,
      })),
      routine_states: Object.fromEntries([...this.#routines].map(([id, run]) => [id, plainCopy(run.state)])),
      shared: plainCopy(this.shared),
      merge_buffers,
      paused_at: this.pausedAt && {
        routine_id: this.pausedAt.routine_id,
        slot_name: this.pausedAt.slot_name,
        event_name: this.pausedAt.event_name,
        breakpoint_id: this.pausedAt.breakpoint_id,
        queue_index: parked ? queue.indexOf(parked) : null,
        payload: this.pausedAt.payload,
      },
      deadline: this.#deadline,
      totals: this.totals(),
    };
  }

  #restore(snapshot: JobSnapshot, events: readonly JobEvent[]): void {
    const { record } = snapshot;
    this.created_at = record.created_at;
    this.started_at = record.started_at;
    this.completed_at = record.completed_at;
    this.error = record.error;
    this.#status = record.status;
    this.log.restore(snapshot.last_seq, events);
    copyInto(this.shared, snapshot.shared);
    for (const [routine_id, state] of Object.entries(snapshot.routine_states))
      copyInto(this.#routineRun(routine_id).state, state);
    if (snapshot.totals) {
      this.#slotCalls = snapshot.totals.slot_calls;
      this.#eventEmits = snapshot.totals.event_emits;
      for (const [routine_id, totals] of Object.entries(snapshot.totals.routines))
        Object.assign(this.#routineRun(routine_id).totals, totals);
    }
    const slot = (routine_id: string, slot_name: string): Route => {
      const route = this.#flow.routines.get(routine_id)?.slots.get(slot_name);
      if (!route) throw new NotFoundError("routine", `${routine_id}.${slot_name}`);
      return route;
    };
    for (const [key, buffer] of Object.entries(snapshot.merge_buffers)) {
      const dot = key.lastIndexOf(".");
      this.#mergeBuffers.set(slot(key.slice(0, dot), key.slice(dot + 1)), copyInto(dict(), buffer) as never);
      this.#memory.grow(jsonSize(buffer));
    }
    const queue = snapshot.queue.map((d) => {
      const delivery = new Delivery(
        slot(d.routine_id, d.slot_name),
        d.payload,
        d.caused_by,
        null,
        d.event_name,
        jsonSize(d.payload),
      );
      delivery.attempt = d.attempt;
      delivery.cleared = d.cleared;
      return delivery;
    });
    for (const delivery of queue) this.#enqueue(delivery);
    const at = snapshot.paused_at;
    if (at)
      this.pausedAt = { ...at, delivery: at.queue_index === null ? null : (queue[at.queue_index] ?? null) };
    if (isFinished(this.#status)) {
      this.#resolveDone(this.record());
      return;
    }
    if (snapshot.deadline) this.#armTimeout(Date.parse(snapshot.deadline) - this.#clock.now());
    if (this.#status === "running") this.#schedulePump();
  }

  get status(): JobStatus {
    return this.#status;
  }

  /**
   * Milliseconds the delivery loop has held the thread so far: sync handlers, and every listener of the events
   * they log (streams, persistence). Unlike a job's wall time it does not count other work that ran in between,
   * so two jobs run side by side can be compared under the same load (bench/ws.ts does).
   */
  get busyMs(): number {
    return this.#busyMs;
  }

  get flow(): CompiledFlow {
    return this.#flow;
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Deliveries waiting to run, in the order they will be taken. */
  get queued(): readonly Delivery[] {
    return [...this.#queue];
  }

  /** Deliveries whose handlers are running now. */
  get running(): readonly Delivery[] {
    return this.#inline === null ? [...this.#running] : [...this.#running, this.#inline];
  }

  record(): JobRecord {
    return {
      job_id: this.job_id,
      flow_id: this.flow_id,
      status: this.#status,
      created_at: this.created_at,
      started_at: this.started_at,
      completed_at: this.completed_at,
      error: this.error,
    };
  }

  /** This routine's state within this job. */
  routineState(routine_id: string): JsonObject {
    return this.#routineRun(routine_id).state;
  }

  #routineRun(routine_id: string): RoutineRun {
    const run = this.#routines.get(routine_id);
    if (!run) throw new NotFoundError("routine", routine_id);
    return run;
  }

  /** What the job has done so far, counted as it ran: the views' counts, unaffected by log truncation. */
  totals(): JobTotals {
    const routines: Record<string, RoutineTotals> = {};
    for (const [routine_id, run] of this.#routines) setOwn(routines, routine_id, { ...run.totals });
    return {
      events: this.log.lastSeq,
      slot_calls: this.#slotCalls,
      event_emits: this.#eventEmits,
      routines,
    };
  }

  /** Bytes of live data the job holds now (queued deliveries, merge buffers, shared data and routine state). */
  get liveBytes(): number {
    return this.#memory.liveBytes;
  }

  setHooks(hooks: SafePointHooks | null): void {
    this.#hooks = hooks;
  }

  /** Delivers `entry_params` to the entry routine's `trigger` slot; the job then runs in the background. */
  start(entry_routine_id: string, entry_params: JsonObject = {}): void {
    if (this.#status !== "pending") throw new InvalidStateError(`Job '${this.job_id}' has already started`);
    const entry = this.#flow.routines.get(entry_routine_id);
    if (!entry) throw new NotFoundError("routine", entry_routine_id);
    const trigger = entry.slots.get("trigger");
    if (!trigger) {
      throw new InvalidStateError(`Entry routine '${entry_routine_id}' has no 'trigger' slot`);
    }
    this.#status = "running";
    this.started_at = this.#clock.iso();
    this.log.append("job_started", { flow_id: this.flow_id, entry_routine_id });
    if (this.#timeout !== null) this.#armTimeout(this.#timeout * 1000);
    const bytes = jsonSize(entry_params);
    this.#enqueue(new Delivery(trigger, entry_params, 0, null, null, bytes));
    this.#schedulePump();
  }

  pause(): void {
    if (this.#status !== "running") {
      throw new InvalidStateError(`Cannot pause job '${this.job_id}': it is ${this.#status}, not running`);
    }
    const next = this.#queue.peek() ?? null;
    this.#park("user", {
      routine_id: next?.routine_id ?? null,
      slot_name: next?.slot_name ?? null,
      delivery: next,
    });
  }

  resume(): void {
    if (this.#status !== "paused") {
      throw new InvalidStateError(`Cannot resume job '${this.job_id}': it is ${this.#status}, not paused`);
    }
    this.#status = "running";
    this.pausedAt = null;
    this.log.append("job_resumed", {});
    this.#schedulePump();
  }

  cancel(): void {
    if (this.#status === "completed" || this.#status === "failed" || this.#status === "cancelled") {
      throw new InvalidStateError(`Cannot cancel job '${this.job_id}': it is already ${this.#status}`);
    }
    this.#finish("cancelled", null);
    this.#appendFinal("job_cancelled", {});
  }

  /** Ends an unfinished job as failed from outside (e.g. a server shutting down); a finished job is left as is. */
  interrupt(error: string): void {
    this.#fail(error, null);
  }

  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    scheduleMacrotask(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  /**
   * The delivery loop. Sync handlers run back to back within a time slice; async ones are awaited by callback.
   * Whatever throws here outside a handler (a merge, a listener of the log, a debugger hook) fails this job: it
   * runs from a macrotask or a promise callback, where an escaping exception would end the process.
   */
  #pump(): void {
    this.#inPump = true;
    const sliceStart = performance.now();
    try {
      this.#runQueued(sliceStart);
      if (this.#memory.measureDue(sliceStart)) this.#measureData();
    } catch (error) {
      this.#fault(error);
    } finally {
      this.#inPump = false;
      this.#busyMs += performance.now() - sliceStart;
    }
  }

  /** Fails the job for an exception that escaped the engine's own code; never throws. */
  #fault(error: unknown): void {
    try {
      this.#fail(`Job failed: ${messageOf(error)}`, null);
    } catch {
      // #fail finished the job before the listener that threw; nothing more to do.
    }
  }

  #runQueued(sliceStart: number): void {
    let ran = 0;
    const maxWorkers = this.#flow.maxWorkers;
    const memory = this.#memory;
    while (this.#status === "running" && this.#running.size < maxWorkers && this.#queue.length > 0) {
      // With a debugger attached a delivery may cost a safe point's whole condition budget: check every time.
      if (((++ran & 15) === 0 || this.#hooks !== null) && performance.now() - sliceStart > TIME_SLICE_MS) {
        this.#schedulePump();
        return;
      }
      const delivery = this.#queue.shift()!;
      memory.grow(-delivery.bytes);
      if (this.#hooks !== null && !delivery.cleared) {
        delivery.cleared = true;
        const pause = this.#hooks.beforeDelivery(this, delivery);
        if (pause) {
          this.#queue.unshift(delivery);
          memory.grow(delivery.bytes);
          this.#park(pause.reason, {
            routine_id: delivery.routine_id,
            slot_name: delivery.slot_name,
            breakpoint_id: pause.breakpoint_id ?? null,
            delivery,
          });
          return;
        }
      }
      this.#run(delivery);
    }
    this.#completeIfIdle();
  }

  #run(delivery: Delivery): void {
    const route = delivery.route;
    const routine = route.routine;
    // A retry re-runs a delivery whose payload is already in the append buffer: merge it only once.
    const payload =
      route.merge === "append" ? this.#merge(route, delivery, delivery.attempt === 0) : delivery.payload;
    delivery.seq = this.log.append("slot_called", route.slotEventData).seq;
    this.#slotCalls++;
    const started = this.log.append("routine_started", route.slotEventData);
    const run = this.#routines.get(routine.routine_id)!;
    const totals = run.totals;
    totals.status = "running";
    totals.execution_count++;
    totals.last_execution = started.timestamp;
    const context = new DeliveryContext(this, delivery, run.state, totals);
    const startedAt = monotonicSeconds();
    let outcome: unknown;
    this.#inline = delivery;
    try {
      outcome = route.handler(payload, context as RoutineContext<unknown>);
    } catch (error) {
      this.#inline = null;
      this.#settle(delivery, context, startedAt, error, true);
      return;
    }
    this.#inline = null;
    if (isThenable(outcome)) {
      this.#running.add(delivery);
      const settle = (error: unknown) => {
        try {
          this.#settle(delivery, context, startedAt, error, false);
        } catch (fault) {
          this.#fault(fault);
        }
      };
      outcome.then(
        () => settle(undefined),
        (error: unknown) => settle(error ?? new Error("handler rejected")),
      );
    } else {
      this.#settle(delivery, context, startedAt, undefined, true);
    }
  }

  /** `fromPump` is true when the handler returned synchronously: the loop that called it continues by itself. */
  #settle(
    delivery: Delivery,
    context: DeliveryContext,
    startedAt: number,
    error: unknown,
    fromPump: boolean,
  ): void {
    context.closed = true;
    if (!fromPump) this.#running.delete(delivery);
    if (this.#status === "completed" || this.#status === "failed" || this.#status === "cancelled") return;
    const duration = secondsSince(startedAt);
    const routine_id = delivery.routine_id;
    const totals = context.totals;
    if (error === undefined) {
      const event = this.log.append("routine_completed", {
        routine_id,
        slot_name: delivery.slot_name,
        duration,
        status: "completed",
      });
      totals.status = "completed";
      countSettled(totals, duration, event.timestamp);
    } else {
      this.#handleFailure(delivery, totals, error, duration);
    }
    this.#hooks?.afterDelivery(this, delivery);
    if (!fromPump) this.#pump();
  }

  #handleFailure(delivery: Delivery, totals: RoutineTotals, error: unknown, duration: number): void {
    const routine = delivery.route.routine;
    const message = messageOf(error);
    const handler = routine.errorHandler;
    const strategy = handler?.strategy ?? "stop";
    const base = { routine_id: routine.routine_id, slot_name: delivery.slot_name, duration, error: message };
    const bytes = EVENT_BYTES + message.length;
    const counted = (status: string, event: JobEvent): void => {
      totals.status = status;
      totals.error = message;
      totals.error_count++;
      countSettled(totals, duration, event.timestamp);
    };
    const delay =
      strategy === "retry" && handler && delivery.attempt < handler.max_retries
        ? handler.retry_delay * handler.retry_backoff ** delivery.attempt
        : null;
    if (delay !== null && delay * 1000 <= MAX_WAIT_MS) {
      delivery.attempt++;
      const event = this.log.append(
        "routine_failed",
        { ...base, status: "retrying", attempt: delivery.attempt, retry_in: delay },
        bytes,
      );
      counted("retrying", event);
      this.#later(delay * 1000, () => {
        this.#enqueue(delivery);
        this.#pump();
      });
      return;
    }
    if (strategy === "continue" || strategy === "skip") {
      const status = strategy === "skip" ? "skipped" : "failed";
      counted(status, this.log.append("routine_failed", { ...base, status }, bytes));
      return;
    }
    // Backoff grows the delay past any sensible wait: the routine fails rather than wait that long.
    const why =
      delay === null ? message : `${message} (not retried: a retry delay of ${delay}s is over 24 hours)`;
    counted(
      "failed",
      this.log.append(
        "routine_failed",
        { ...base, error: why, status: "failed", attempt: delivery.attempt },
        bytes,
      ),
    );
    this.#fail(`Routine '${routine.routine_id}' failed: ${why}`, routine.routine_id);
  }

  #fail(error: string, routine_id: string | null): void {
    if (this.#status === "completed" || this.#status === "failed" || this.#status === "cancelled") return;
    this.#finish("failed", error);
    this.#appendFinal("job_failed", { error, routine_id });
  }

  /**
   * The job's last event carries its totals, so its views stay right when only the store answers for it.
   * `done` resolves even when a listener throws on this event (the exception still reaches the caller).
   */
  #appendFinal(type: "job_completed" | "job_failed" | "job_cancelled", data: JsonObject): void {
    try {
      const totals = this.totals();
      totals.events++; // this final event included
      this.log.append(type, { ...data, totals });
    } finally {
      this.log.releaseBudget();
      this.#resolveDone(this.record());
    }
  }

  #completeIfIdle(): void {
    if (
      this.#status !== "running" ||
      this.#queue.length > 0 ||
      this.#running.size > 0 ||
      this.#timers.size > 0
    )
      return;
    this.#finish("completed", null);
    this.#appendFinal("job_completed", { duration: this.#durationSeconds() });
  }

  #finish(status: JobStatus, error: string | null): void {
    this.#status = status;
    this.error = error;
    this.completed_at = this.#clock.iso();
    this.pausedAt = null;
    this.#queue.clear();
    // The job lets go of its live data: shared data and state stay readable, but no longer count.
    this.#mergeBuffers.clear();
    this.#memory.release();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    clearTimeout(this.#timeoutTimer);
    if (status !== "completed") this.#abort.abort(new Error(error ?? `Job ${status}`));
  }

  #durationSeconds(): number {
    return this.started_at ? (Date.parse(this.completed_at ?? "") - Date.parse(this.started_at)) / 1000 : 0;
  }

  #park(reason: PauseReason, at: Partial<PausedAt>): void {
    this.#status = "paused";
    this.pausedAt = {
      routine_id: at.routine_id ?? null,
      slot_name: at.slot_name ?? null,
      event_name: at.event_name ?? null,
      breakpoint_id: at.breakpoint_id ?? null,
      delivery: at.delivery ?? null,
      payload: at.payload ?? at.delivery?.payload ?? null,
    };
    this.log.append("job_paused", {
      reason,
      routine_id: this.pausedAt.routine_id,
      slot_name: this.pausedAt.slot_name,
      event_name: this.pausedAt.event_name,
      breakpoint_id: this.pausedAt.breakpoint_id,
    });
  }

  #armTimeout(ms: number): void {
    const seconds = this.#timeout ?? Math.max(ms, 0) / 1000;
    this.#deadline = new Date(this.#clock.now() + ms).toISOString();
    // A timeout may be longer than one timer can wait (core/timers.ts); #finish clears the link armed last.
    armChained(
      ms,
      () => this.#fail(`Job timed out after ${seconds}s`, null),
      (fire, wait) => {
        this.#timeoutTimer = setTimeout(fire, wait);
      },
    );
  }

  /** `ms` is at most MAX_WAIT_MS (the caller checked it), well within one timer. */
  #later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    this.#timers.add(timer);
  }

  #merge(route: Route, delivery: Delivery, accumulate: boolean): JsonObject {
    // Each connection carries its own copy of the Route; the buffer belongs to the slot, so key by the slot's own.
    const slot = route.routine.slots.get(route.slot)!;
    let buffer = this.#mergeBuffers.get(slot);
    if (!buffer) {
      buffer = dict();
      this.#mergeBuffers.set(slot, buffer);
    }
    if (accumulate) {
      const payload = delivery.payload;
      for (const key of Object.keys(payload)) {
        const values = buffer[key] ?? [];
        values.push(payload[key]);
        buffer[key] = values;
      }
      this.#memory.grow(delivery.bytes);
    }
    // A spread, not Object.assign: it defines an own `__proto__` key as a key.
    return { ...buffer };
  }

  #enqueue(delivery: Delivery): void {
    this.#queue.push(delivery);
    this.#memory.grow(delivery.bytes);
  }

  /** Re-measures shared data and routine state; fails the job when that puts it past a limit it is to blame for. */
  #measureData(): void {
    if (this.#status !== "running" && this.#status !== "paused") return;
    const exceeded = this.#memory.measureData(this.#queue.length);
    if (exceeded !== null) this.#failOverLimit(exceeded, null);
  }

  /** Fails the job for a memory limit and lets go of everything it held, shared data and state included. */
  #failOverLimit(message: string, routine_id: string | null): void {
    this.#fail(message, routine_id);
    for (const key of Object.keys(this.shared)) delete this.shared[key];
    for (const run of this.#routines.values())
      for (const key of Object.keys(run.state)) delete run.state[key];
  }

  /** Called by a delivery's context; turns one emit into deliveries through the flow's connections. */
  emit(delivery: Delivery, event_name: string, payload: JsonObject): void {
    if (this.#status !== "running" && this.#status !== "paused") return;
    const routine: CompiledRoutine = delivery.route.routine;
    const routes = routine.routes.get(event_name);
    if (!routes) {
      throw new RoutineUsageError(`Routine '${routine.routine_id}' has no event '${event_name}'`);
    }
    // Measured once: the same number checks the event, sizes the log entry and counts each delivery.
    const bytes = this.#memory.eventBytes(event_name, payload);
    const { seq } = this.log.append(
      "event_emitted",
      { routine_id: routine.routine_id, event_name, payload },
      EVENT_BYTES + bytes,
    );
    this.#eventEmits++;
    for (let i = 0; i < routes.length; i++) {
      const route = routes[i]!;
      const delivered = route.mapping === null ? payload : mapPayload(payload, route.mapping);
      this.#enqueue(new Delivery(route, delivered, seq, delivery, event_name, bytes));
    }
    const exceeded = this.#memory.exceededLimit(this.#queue.length);
    if (exceeded !== null) {
      this.#failOverLimit(exceeded, routine.routine_id);
      // Unwinds the handler (a loop of emits stops here); the job has already failed, whatever it does with this.
      throw new LimitExceededError(exceeded, { limit: 0 });
    }
    // An async handler emitting mid-run: free workers may take the new deliveries now, not when it returns.
    if (!this.#inPump && routes.length > 0 && this.#running.size < this.#flow.maxWorkers)
      this.#schedulePump();
    if (this.#hooks !== null && this.#status === "running") {
      const pause = this.#hooks.onEmit(this, delivery, event_name, payload);
      if (pause) {
        this.#park(pause.reason, {
          routine_id: routine.routine_id,
          event_name,
          breakpoint_id: pause.breakpoint_id ?? null,
          delivery,
          payload,
        });
      }
    }
  }
}
