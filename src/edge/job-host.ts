import { type Breakpoint, type BreakpointCreate, BreakpointCreateSchema } from "../core/breakpoints.js";
import type { Clock } from "../core/clock.js";
import { compileFlow } from "../core/compiled-flow.js";
import { type CallFrame, type DebuggerLimits, JobDebugger, notPausedVariables } from "../core/debugger.js";
import { InvalidStateError } from "../core/errors.js";
import type { FlowDefinition } from "../core/flow.js";
import { Job, type JobOptions } from "../core/job.js";
import type { JobSnapshot } from "../core/job-snapshot.js";
import type { RoutineRegistry } from "../core/routine.js";
import { isFinished, type JobEvent, type JsonObject } from "../core/types.js";
import { type JobState, liveJobState } from "../core/views.js";
import { tryEvaluate } from "../expr/index.js";
import { type DebugSession, debugSession, type Evaluation } from "../service/debug-service.js";

/** Everything a JobObject needs to run its job, stored once at start so an object restart can rebuild it. */
export interface JobStartSpec {
  job_id: string;
  /** The flow as it was when the job started: later edits of the flow never reach a running job. */
  definition: FlowDefinition;
  entry_routine_id: string;
  entry_params: JsonObject;
  /** Seconds, or null. */
  timeout: number | null;
  /** Already validated by the caller (the worker), installed before the first delivery. */
  breakpoints: BreakpointCreate[];
  pause_on_start: boolean;
}

/**
 * The job's own event log in memory is only the tail the engine needs (`last_seq`); readers are served from the
 * object's SQLite log, which keeps up to `ROUTILUX_MAX_EVENTS_PER_JOB`. 128 MB per isolate is shared by every
 * object in it, so a second full copy of each log would be the first thing to run out.
 */
const EVENTS_HELD_IN_MEMORY = 256;

export interface JobHostOptions {
  registry: RoutineRegistry;
  clock: Clock;
  newBreakpointId: () => string;
  limits: DebuggerLimits;
}

/**
 * One job in a Durable Object: the core `Job` and, once asked for, its `JobDebugger`. Built either from a start
 * spec or from a stored snapshot. Answers the job's control, state and debug calls the way `LocalJobService` and
 * `LocalDebugService` answer them for live jobs; storage and sockets belong to the object around it.
 */
export class JobHost {
  #debugger: JobDebugger | null = null;

  private constructor(
    readonly job: Job,
    private readonly options: JobHostOptions,
  ) {}

  /** A new job, with its breakpoints and `pause_on_start` installed; `begin()` starts it. */
  static create(spec: JobStartSpec, options: JobHostOptions): JobHost {
    const host = new JobHost(newJob(spec, options), options);
    for (const create of spec.breakpoints) host.addBreakpoint(create);
    if (spec.pause_on_start) host.#debug().pauseAtNextDelivery();
    return host;
  }

  /**
   * The job as a snapshot left it, its breakpoints re-armed with their hit counts. A running job continues at
   * once; a paused one waits for resume. What a snapshot cannot hold is lost: a step in progress, so a job that was
   * stepping runs on without stopping at the step's target.
   */
  static restore(
    spec: JobStartSpec,
    snapshot: JobSnapshot,
    breakpoints: readonly Breakpoint[],
    options: JobHostOptions,
  ): JobHost {
    const host = new JobHost(newJob(spec, options, { snapshot, events: [] }), options);
    // Hooks go in before the restored job's first pump, which the Job schedules as a macrotask.
    for (const bp of breakpoints) {
      host.#debug().add(bp.breakpoint_id, BreakpointCreateSchema.parse(bp), bp.hit_count);
    }
    return host;
  }

  begin(spec: JobStartSpec): void {
    this.job.start(spec.entry_routine_id, spec.entry_params);
  }

  get finished(): boolean {
    return isFinished(this.job.status);
  }

  /** The state view with what only the live job knows (shared data, queue, current routine). */
  state(events: readonly JobEvent[]): JobState {
    return liveJobState(this.job, events);
  }

  // ---- breakpoints and debugging (the rules of LocalDebugService) -----------------------------------------------

  #debug(): JobDebugger {
    if (!this.#debugger) {
      this.#debugger = new JobDebugger(this.job, this.options.limits);
      this.job.setHooks(this.#debugger);
    }
    return this.#debugger;
  }

  /** The debugger of an unfinished job; a finished job has no debug session. */
  #live(): JobDebugger {
    if (this.finished) {
      throw new InvalidStateError(`Job '${this.job.job_id}' is ${this.job.status}; it has no debug session`);
    }
    return this.#debug();
  }

  /** On a finished job too: the breakpoint is kept and listed, and never hits. */
  addBreakpoint(create: BreakpointCreate): Breakpoint {
    return this.#debug().add(this.options.newBreakpointId(), BreakpointCreateSchema.parse(create));
  }

  listBreakpoints(): Breakpoint[] {
    return this.#debugger?.list() ?? [];
  }

  setBreakpointEnabled(breakpoint_id: string, enabled: boolean): Breakpoint {
    return this.#debug().setEnabled(breakpoint_id, enabled);
  }

  deleteBreakpoint(breakpoint_id: string): void {
    this.#debug().remove(breakpoint_id);
  }

  session(): DebugSession {
    const job = this.job;
    if (this.finished) return { status: "no_session", job_id: job.job_id };
    return debugSession(this.#debug());
  }

  debugResume(): void {
    this.#live().job.resume();
  }

  step(mode: "over" | "into"): void {
    this.#live().step(mode);
  }

  variables(routine_id?: string): { routine_id: string | null; variables: JsonObject } {
    if (this.job.status !== "paused") return notPausedVariables();
    return this.#debug().variables(routine_id);
  }

  setVariable(name: string, value: unknown): void {
    this.#live().setVariable(name, value);
  }

  callStack(): CallFrame[] {
    return this.#live().callStack();
  }

  evaluate(expression: string, frame_index: number): Evaluation {
    return tryEvaluate(expression, this.#live().evaluationContext(frame_index));
  }
}

/** The job of `spec`, new or (with `restore`) as a snapshot left it. */
function newJob(spec: JobStartSpec, options: JobHostOptions, restore?: JobOptions["restore"]): Job {
  return new Job({
    job_id: spec.job_id,
    flow: compileFlow(spec.definition, options.registry),
    clock: options.clock,
    maxEvents: EVENTS_HELD_IN_MEMORY,
    timeout: spec.timeout,
    restore,
  });
}
