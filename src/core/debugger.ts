import type { z } from "zod";
import {
  Bindings,
  type CompiledExpression,
  compile,
  ExpressionError,
  StepBudget,
  StepLimitError,
  snapshot,
  truthy,
} from "../expr/index.js";
import {
  type Breakpoint,
  type BreakpointCreateSchema,
  breakpointRecord,
  checkBreakpointCount,
  hitConditionHolds,
} from "./breakpoints.js";
import type { Delivery, SafePointHooks, SafePointPause } from "./delivery.js";
import { InvalidStateError, NotFoundError } from "./errors.js";
import type { Job } from "./job.js";
import type { JsonObject } from "./types.js";

export type StepMode = "over" | "into";

export interface ArmedBreakpoint {
  readonly record: Breakpoint;
  readonly condition: CompiledExpression | null;
  /**
   * True when the condition reads none of the reserved names: the delivery's payload then is the whole context,
   * and no object of reserved names is built per delivery.
   */
  readonly payloadOnly: boolean;
  /** A logpoint's message, split into literal text and compiled `{expression}` parts. */
  readonly message: (string | CompiledExpression)[] | null;
  errorReported: boolean;
}

/** Where a step resumes to: the next delivery, or the next one caused by `from`. */
type Step = { mode: "next" } | { mode: "into"; from: Delivery };

export interface SafePointView {
  routine_id: string | null;
  slot_name: string | null;
  event_name: string | null;
  payload: JsonObject;
}

export interface CallFrame {
  routine_id: string;
  slot_name: string;
  event_name: string | null;
  variables: string[];
}

/** The names a condition always sees besides the payload's fields (docs/conditional-breakpoints.md). */
const RESERVED_NAMES: ReadonlySet<string> = new Set([
  "payload",
  "routine_id",
  "slot_name",
  "event_name",
  "job",
  "shared",
]);

/**
 * Where a safe point is, which is also what a condition or logpoint there sees besides the payload's fields: the
 * reserved names, laid over the payload (see `Bindings`), so they win over a payload field of the same name, which
 * stays reachable as `payload.<name>`.
 */
interface SafePointScope {
  payload: JsonObject;
  routine_id: string;
  slot_name: string | null;
  event_name: string | null;
  job: JsonObject;
  shared: JsonObject;
}

const LOG_PART = /\{([^{}]+)\}/g;

/** Splits a logpoint message into literal text and compiled `{expression}` parts; throws ExpressionError. */
export function compileLogMessage(message: string): (string | CompiledExpression)[] {
  const parts: (string | CompiledExpression)[] = [];
  let last = 0;
  for (const match of message.matchAll(LOG_PART)) {
    if (match.index > last) parts.push(message.slice(last, match.index));
    parts.push(compile(match[1]!));
    last = match.index + match[0].length;
  }
  if (last < message.length) parts.push(message.slice(last));
  return parts;
}

export interface DebuggerLimits {
  /** `ROUTILUX_MAX_BREAKPOINTS_PER_JOB`; unset: no limit. */
  maxBreakpointsPerJob?: number;
  /** `ROUTILUX_MAX_CONDITION_STEPS`: the steps all conditions checked at one safe point share; unset: no limit. */
  maxConditionSteps?: number;
}

/** Compiles a breakpoint's condition and logpoint message; throws `ExpressionError` when one does not parse. */
export function armBreakpoint(record: Breakpoint): ArmedBreakpoint {
  const condition = record.condition ? compile(record.condition) : null;
  return {
    record,
    condition,
    payloadOnly: condition !== null && ![...condition.names].some((name) => RESERVED_NAMES.has(name)),
    message: record.log_message === null ? null : compileLogMessage(record.log_message),
    errorReported: false,
  };
}

/** What `GET …/debug/variables` shows of a job that is not paused: nothing, and no routine. */
export const notPausedVariables = (): { routine_id: string | null; variables: JsonObject } => ({
  routine_id: null,
  variables: {},
});

const renderValue = (value: unknown): string =>
  typeof value === "string" ? value : (JSON.stringify(value) ?? "null");

/**
 * One job's debugger: breakpoints (with conditions, hit conditions and logpoints) and stepping, answered at the
 * scheduler's safe points. Breakpoints are indexed by routine so a delivery to a routine without any costs one
 * Map lookup.
 */
export class JobDebugger implements SafePointHooks {
  readonly #breakpoints = new Map<string, ArmedBreakpoint>();
  #byRoutine = new Map<string, ArmedBreakpoint[]>();
  #byEvent = new Map<string, ArmedBreakpoint[]>();
  #step: Step | null = null;
  /** Refilled at each safe point that checks a condition; reused so a safe point allocates nothing. */
  readonly #budget = new StepBudget(0);

  constructor(
    readonly job: Job,
    private readonly limits: DebuggerLimits = {},
  ) {}

  get stepping(): boolean {
    return this.#step !== null;
  }

  list(): Breakpoint[] {
    return [...this.#breakpoints.values()].map((armed) => armed.record);
  }

  get(breakpoint_id: string): Breakpoint {
    const armed = this.#breakpoints.get(breakpoint_id);
    if (!armed) throw new NotFoundError("breakpoint", breakpoint_id);
    return armed.record;
  }

  /**
   * Throws `ExpressionError` (with the position) when the condition or a logpoint part does not parse, and
   * `LimitExceededError` past `ROUTILUX_MAX_BREAKPOINTS_PER_JOB`. A restored breakpoint (`hit_count` given) is
   * re-armed whatever the limit: it was admitted once.
   */
  add(
    breakpoint_id: string,
    create: z.output<typeof BreakpointCreateSchema>,
    hit_count?: number,
  ): Breakpoint {
    if (hit_count === undefined) {
      checkBreakpointCount(this.#breakpoints.size, 1, this.limits.maxBreakpointsPerJob);
    }
    const armed = armBreakpoint(breakpointRecord(breakpoint_id, this.job.job_id, create, hit_count));
    this.#breakpoints.set(breakpoint_id, armed);
    this.#reindex();
    return armed.record;
  }

  setEnabled(breakpoint_id: string, enabled: boolean): Breakpoint {
    this.get(breakpoint_id).enabled = enabled;
    return this.get(breakpoint_id);
  }

  remove(breakpoint_id: string): void {
    this.get(breakpoint_id);
    this.#breakpoints.delete(breakpoint_id);
    this.#reindex();
  }

  #reindex(): void {
    const byRoutine = new Map<string, ArmedBreakpoint[]>();
    const byEvent = new Map<string, ArmedBreakpoint[]>();
    for (const armed of this.#breakpoints.values()) {
      const { type, routine_id, event_name } = armed.record;
      if (type === "event") {
        const key = event_name ?? "";
        byEvent.set(key, [...(byEvent.get(key) ?? []), armed]);
      } else {
        const key = routine_id ?? "";
        byRoutine.set(key, [...(byRoutine.get(key) ?? []), armed]);
      }
    }
    this.#byRoutine = byRoutine;
    this.#byEvent = byEvent;
  }

  /** Arms a pause at the first delivery, so a job can be caught before its first routine runs. */
  pauseAtNextDelivery(): void {
    this.#step = { mode: "next" };
  }

  /** Resumes a paused job and pauses again at the next delivery (`over`) or the next one the paused handler caused (`into`). */
  step(mode: StepMode): void {
    const parked = this.job.pausedAt?.delivery ?? null;
    if (this.job.status !== "paused") {
      throw new InvalidStateError(
        `Cannot step job '${this.job.job_id}': it is ${this.job.status}, not paused`,
      );
    }
    this.#step = mode === "into" && parked ? { mode: "into", from: parked } : { mode: "next" };
    this.job.resume();
  }

  beforeDelivery(job: Job, delivery: Delivery): SafePointPause | null {
    const step = this.#step;
    if (step !== null && (step.mode === "next" || delivery.parent === step.from)) {
      this.#step = null;
      return { reason: "step", breakpoint_id: null };
    }
    const candidates = this.#byRoutine.get(delivery.routine_id);
    if (candidates === undefined) return null;
    return this.#check(job, candidates, delivery, null, delivery.payload);
  }

  onEmit(job: Job, delivery: Delivery, event_name: string, payload: JsonObject): SafePointPause | null {
    const candidates = this.#byEvent.get(event_name);
    if (candidates === undefined) return null;
    return this.#check(job, candidates, delivery, event_name, payload);
  }

  /** The first of `candidates` that hits at this safe point (an emit when `event_name` is set, else a delivery). */
  #check(
    job: Job,
    candidates: readonly ArmedBreakpoint[],
    delivery: Delivery,
    event_name: string | null,
    payload: JsonObject,
  ): SafePointPause | null {
    // Filled in at most once per safe point, and only when needed: the scope (reserved names), and what
    // conditions and logpoints read, the payload's fields alone or with the scope laid over them (never a copy
    // of the payload); each name is then checked once, however many breakpoints read it. The three objects are
    // this debugger's, reused at every safe point (a check never runs inside another), and no closures are made:
    // this runs on every delivery a breakpoint looks at.
    let scope: SafePointScope | null = null;
    let payloadNames: Bindings | null = null;
    let allNames: Bindings | null = null;
    // The conditions checked here share one step budget, so the cost of a safe point is bounded however many
    // breakpoints name it. Once it is spent, the conditions not reached count as false at this safe point.
    const budget = this.#budget;
    budget.remaining = this.limits.maxConditionSteps ?? Number.POSITIVE_INFINITY;
    for (const armed of candidates) {
      const bp = armed.record;
      if (!bp.enabled) continue;
      if (
        event_name === null
          ? bp.type === "slot" && bp.slot_name !== delivery.slot_name
          : bp.routine_id !== null && bp.routine_id !== delivery.routine_id
      ) {
        continue;
      }
      if (armed.condition !== null) {
        if (budget.exhausted) continue;
        let names: Bindings;
        if (armed.payloadOnly) names = payloadNames ??= this.#payloadNames.reset(payload);
        else {
          scope ??= this.#fillScope(delivery, event_name, payload);
          names = allNames ??= this.#allNames.reset(payload, scope);
        }
        if (!this.#holds(job, armed, names, delivery, budget)) continue;
      }
      scope ??= this.#fillScope(delivery, event_name, payload);
      if (armed.message !== null) allNames ??= this.#allNames.reset(payload, scope);
      const pause = this.#hit(job, armed, scope, allNames, budget);
      if (pause) return pause;
    }
    return null;
  }

  afterDelivery(job: Job, delivery: Delivery): void {
    const step = this.#step;
    // Stepping into a handler that caused nothing degrades to stepping over it.
    if (step?.mode === "into" && step.from === delivery && !job.queued.some((d) => d.parent === delivery)) {
      this.#step = { mode: "next" };
    }
  }

  /** A breakpoint whose condition holds: counts the hit, then logs (logpoint) or pauses when the hit condition allows. */
  #hit(
    job: Job,
    armed: ArmedBreakpoint,
    scope: SafePointScope,
    names: Bindings | null,
    budget: StepBudget,
  ): SafePointPause | null {
    const bp = armed.record;
    bp.hit_count++;
    if (!hitConditionHolds(bp.hit_condition, bp.hit_count)) return null;
    const routine_id = scope.routine_id;
    if (armed.message !== null) {
      job.log.append("log", {
        routine_id,
        breakpoint_id: bp.breakpoint_id,
        message: this.#render(armed.message, names!, budget),
      });
      return null;
    }
    job.log.append("breakpoint_hit", {
      routine_id,
      breakpoint_id: bp.breakpoint_id,
      hit_count: bp.hit_count,
      slot_name: scope.slot_name,
      event_name: scope.event_name,
    });
    return { reason: "breakpoint", breakpoint_id: bp.breakpoint_id };
  }

  /**
   * A condition that fails to evaluate counts as false and is reported once per breakpoint. One that runs out of
   * steps (the shared budget or its own bound) would cost as much at every safe point: its breakpoint is disabled.
   */
  #holds(job: Job, armed: ArmedBreakpoint, names: Bindings, delivery: Delivery, budget: StepBudget): boolean {
    try {
      return truthy(armed.condition!.evaluateIn(names, budget));
    } catch (error) {
      let message = error instanceof Error ? error.message : String(error);
      if (error instanceof StepLimitError) {
        armed.record.enabled = false;
        if (budget.exhausted) {
          message =
            `the conditions checked at one safe point exceeded ROUTILUX_MAX_CONDITION_STEPS ` +
            `(${this.limits.maxConditionSteps} steps)`;
        }
        message += "; breakpoint disabled";
      } else if (armed.errorReported) {
        return false;
      }
      armed.errorReported = true;
      job.log.append("breakpoint_error", {
        routine_id: delivery.routine_id,
        breakpoint_id: armed.record.breakpoint_id,
        error: message,
      });
      return false;
    }
  }

  /** A logpoint's `{expression}` parts spend from the safe point's budget too. */
  #render(parts: (string | CompiledExpression)[], names: Bindings, budget: StepBudget): string {
    return parts
      .map((part) => {
        if (typeof part === "string") return part;
        try {
          return renderValue(part.evaluateIn(names, budget));
        } catch (error) {
          return `<${error instanceof ExpressionError ? error.message : "error"}>`;
        }
      })
      .join("");
  }

  readonly #scope: SafePointScope = {
    payload: {},
    routine_id: "",
    slot_name: null,
    event_name: null,
    job: {},
    shared: {},
  };
  readonly #payloadNames = new Bindings({});
  readonly #allNames = new Bindings({});

  #fillScope(delivery: Delivery, event_name: string | null, payload: JsonObject): SafePointScope {
    const scope = this.#scope;
    scope.payload = payload;
    scope.routine_id = delivery.routine_id;
    scope.slot_name = event_name === null ? delivery.slot_name : null;
    scope.event_name = event_name;
    scope.job = this.#job();
    scope.shared = this.job.shared;
    return scope;
  }

  #jobView: JsonObject | null = null;

  /** The job as conditions see it; made anew only when the status changes (expressions cannot change it). */
  #job(): JsonObject {
    const { job_id, flow_id, status } = this.job;
    if (this.#jobView?.status !== status) this.#jobView = { job_id, flow_id, status };
    return this.#jobView;
  }

  /** The paused point: the parked delivery's payload, or the emitted payload when paused at an emit. */
  safePoint(frame_index = 0): SafePointView {
    const at = this.#requirePaused();
    let delivery = at.delivery;
    if (at.event_name !== null) {
      if (frame_index === 0) {
        return {
          routine_id: at.routine_id,
          slot_name: null,
          event_name: at.event_name,
          payload: at.payload ?? {},
        };
      }
      frame_index--;
    }
    for (let i = 0; i < frame_index && delivery; i++) delivery = delivery.parent;
    if (!delivery)
      throw new NotFoundError("routine", String(frame_index), `No frame ${frame_index} in the call stack`);
    return {
      routine_id: delivery.routine_id,
      slot_name: delivery.slot_name,
      event_name: delivery.event_name,
      payload: delivery.payload,
    };
  }

  #requirePaused() {
    const at = this.job.pausedAt;
    if (this.job.status !== "paused" || at === null) {
      throw new InvalidStateError(`Job '${this.job.job_id}' is ${this.job.status}, not paused`);
    }
    return at;
  }

  /** The names a breakpoint condition would see at the paused point (or a caller's frame), as a JSON snapshot. */
  evaluationContext(frame_index = 0): JsonObject {
    const point = this.safePoint(frame_index);
    const payload = snapshot(point.payload) as JsonObject;
    // A spread, not Object.assign: a payload may have `__proto__` as its own key, which must stay a key.
    return {
      ...payload,
      payload,
      routine_id: point.routine_id ?? "",
      slot_name: point.slot_name,
      event_name: point.event_name,
      job: { ...this.#job() },
      shared: snapshot(this.job.shared) as JsonObject,
    };
  }

  /**
   * JSON snapshot of the paused payload (for the paused routine) or of another routine's state. A job that is not
   * paused has none to show, which is an answer, not an error: clients poll this while a job runs.
   */
  variables(routine_id?: string): { routine_id: string | null; variables: JsonObject } {
    if (this.job.status !== "paused" || this.job.pausedAt === null) return notPausedVariables();
    const point = this.safePoint();
    if (routine_id === undefined || routine_id === point.routine_id) {
      return { routine_id: point.routine_id, variables: snapshot(point.payload) as JsonObject };
    }
    return { routine_id, variables: snapshot(this.job.routineState(routine_id)) as JsonObject };
  }

  /** Sets one payload field of the parked delivery: the handler, when it runs, sees the new value. */
  setVariable(name: string, value: unknown): void {
    const at = this.#requirePaused();
    if (!at.delivery || at.event_name !== null) {
      throw new InvalidStateError(`Job '${this.job.job_id}' is not paused before a handler; nothing to set`);
    }
    // Copy on write: under fan-out, sibling deliveries share the payload object and must not see this change.
    at.delivery.payload = { ...at.delivery.payload, [name]: value };
  }

  /**
   * The paused point first, then what caused it. Paused at an emit, the emit is frame 0 (the handler emitting,
   * with the event and the emitted payload's names), so frame `i` here is frame `i` of `safePoint`/evaluate.
   */
  callStack(): CallFrame[] {
    const at = this.#requirePaused();
    const frames: CallFrame[] = [];
    if (at.event_name !== null && at.delivery !== null) {
      frames.push({
        routine_id: at.delivery.routine_id,
        slot_name: at.delivery.slot_name,
        event_name: at.event_name,
        variables: Object.keys(at.payload ?? {}),
      });
    }
    for (let d = at.delivery; d !== null; d = d.parent) {
      frames.push({
        routine_id: d.routine_id,
        slot_name: d.slot_name,
        event_name: d.event_name,
        variables: Object.keys(d.payload),
      });
    }
    return frames;
  }
}
