import type { Route } from "./compiled-flow.js";
import { RoutineUsageError } from "./errors.js";
import { EVENT_BYTES } from "./event-log.js";
import type { Job } from "./job.js";
import { jsonSize } from "./json-size.js";
import type { RoutineContext } from "./routine.js";
import type { JsonObject, PauseReason } from "./types.js";
import type { RoutineTotals } from "./views.js";

/** One unit of work: a payload on its way into one slot of one routine. */
export class Delivery {
  /** Retries of this delivery so far. */
  attempt = 0;
  /** seq of this delivery's `slot_called` event, once it has started. */
  seq = 0;
  /** Set once a safe point has let it through, so resuming does not stop at the same place again. */
  cleared = false;

  constructor(
    readonly route: Route,
    /** Mutable only through the debugger (a variable set while paused is what the handler sees). */
    public payload: JsonObject,
    /** seq of the `event_emitted` that produced it; 0 for the entry delivery. */
    readonly caused_by: number,
    readonly parent: Delivery | null,
    /** The event that produced it; null for the entry delivery. */
    readonly event_name: string | null,
    /** The payload's JSON size, measured once at the emit: what this delivery counts in the job's live data. */
    readonly bytes = 0,
  ) {}

  get routine_id(): string {
    return this.route.routine.routine_id;
  }

  get slot_name(): string {
    return this.route.slot;
  }
}

export interface SafePointPause {
  reason: PauseReason;
  breakpoint_id?: string | null;
}

/** Where a paused job stands; null fields where the safe point has none (e.g. `slot_name` at an emit). */
export interface PausedAt {
  routine_id: string | null;
  slot_name: string | null;
  event_name: string | null;
  breakpoint_id: string | null;
  delivery: Delivery | null;
  /** The payload at the safe point: the parked delivery's, or the emitted one when paused at an emit. */
  payload: JsonObject | null;
}

/**
 * The debugger's seam. The scheduler asks at each safe point; returning a pause parks the job there.
 * With no hooks installed the delivery loop pays one null check.
 */
export interface SafePointHooks {
  beforeDelivery(job: Job, delivery: Delivery): SafePointPause | null;
  onEmit(job: Job, delivery: Delivery, event_name: string, payload: JsonObject): SafePointPause | null;
  afterDelivery(job: Job, delivery: Delivery): void;
}

/** The `{ emit, state, shared, config, log, signal }` a handler receives; one small object per delivery. */
export class DeliveryContext implements RoutineContext<unknown> {
  closed = false;

  constructor(
    readonly job: Job,
    readonly delivery: Delivery,
    readonly state: JsonObject,
    readonly totals: RoutineTotals,
  ) {}

  get job_id(): string {
    return this.job.job_id;
  }

  get routine_id(): string {
    return this.delivery.routine_id;
  }

  get slot_name(): string {
    return this.delivery.slot_name;
  }

  get payload(): JsonObject {
    return this.delivery.payload;
  }

  get config(): unknown {
    return this.delivery.route.routine.config;
  }

  get shared(): JsonObject {
    return this.job.shared;
  }

  get signal(): AbortSignal {
    return this.job.signal;
  }

  emit(event: string, payload: JsonObject = {}): void {
    if (this.closed) {
      throw new RoutineUsageError(
        `Routine '${this.routine_id}' emitted '${event}' after its handler finished`,
      );
    }
    this.job.emit(this.delivery, event, payload);
  }

  log(message: string, data: JsonObject = {}): void {
    this.job.log.append(
      "log",
      { ...data, routine_id: this.routine_id, message },
      EVENT_BYTES + message.length + jsonSize(data),
    );
  }
}
