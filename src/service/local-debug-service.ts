import { type Breakpoint, type BreakpointCreate, BreakpointCreateSchema } from "../core/breakpoints.js";
import { type IdFactory, newId } from "../core/clock.js";
import type { CallFrame } from "../core/debugger.js";
import { JobDebugger, notPausedVariables } from "../core/debugger.js";
import { InvalidStateError } from "../core/errors.js";
import type { Job } from "../core/job.js";
import { isFinished, type JsonObject } from "../core/types.js";
import { tryEvaluate } from "../expr/index.js";
import { type DebugService, type DebugSession, debugSession, type Evaluation } from "./debug-service.js";
import type { StartJobRequest } from "./job-service.js";
import type { ServiceLimits } from "./limits.js";
import type { LocalJobService } from "./local-job-service.js";
import type { Store } from "./store.js";
import { StoredBreakpoints } from "./stored-breakpoints.js";

/** The debugger of in-process jobs: one `JobDebugger` per live job, breakpoints mirrored to the store. */
export class LocalDebugService implements DebugService {
  readonly #debuggers = new WeakMap<Job, JobDebugger>();
  #jobs: LocalJobService | null = null;
  readonly #stored: StoredBreakpoints;

  constructor(
    private readonly store: Store,
    /** Where best-effort writes (breakpoints installed at job start, final hit counts) report a failure. */
    private readonly onError: (error: unknown) => void = (error) => console.error(error),
    private readonly newBreakpointId: IdFactory = () => `bp_${newId().slice(0, 8)}`,
    private readonly limits: Partial<ServiceLimits> = {},
  ) {
    this.#stored = new StoredBreakpoints(store, limits.maxBreakpointsPerJob);
  }

  /** The job service is created after this one (it calls `prepare`), so it is attached afterwards. */
  attach(jobs: LocalJobService): void {
    this.#jobs = jobs;
  }

  /** Installs breakpoints and `pause_on_start` before the job's first delivery runs. */
  prepare = (job: Job, request: StartJobRequest): void => {
    const creates = request.breakpoints ?? [];
    if (creates.length === 0 && !request.pause_on_start) return;
    const debug = this.#debuggerOf(job);
    for (const create of creates) {
      const breakpoint = debug.add(this.newBreakpointId(), BreakpointCreateSchema.parse(create));
      this.store.saveBreakpoint(breakpoint).catch(this.onError);
    }
    if (request.pause_on_start) debug.pauseAtNextDelivery();
  };

  #debuggerOf(job: Job): JobDebugger {
    const existing = this.#debuggers.get(job);
    if (existing) return existing;
    const debug = new JobDebugger(job, this.limits);
    this.#debuggers.set(job, debug);
    job.setHooks(debug);
    void job.done.then(() => this.#saveHitCounts(debug));
    return debug;
  }

  /**
   * Hit counts change at every hit, and only the debugger's copy is kept current; once the job is over the store
   * answers for its breakpoints, so it gets their final state then. Best effort, like the write at creation: a
   * failed write is reported and leaves a stale count, never a failed job.
   */
  async #saveHitCounts(debug: JobDebugger): Promise<void> {
    const saves = debug.list().map((breakpoint) => this.store.saveBreakpoint(breakpoint));
    await Promise.all(saves).catch(this.onError);
  }

  /** The live job's debugger; a finished or unknown job has none (unknown → NotFoundError). */
  async #live(job_id: string): Promise<JobDebugger> {
    const jobs = this.#jobs!;
    const job = jobs.liveJob(job_id);
    if (!job || isFinished(job.status)) {
      const record = await jobs.get(job_id);
      throw new InvalidStateError(`Job '${job_id}' is ${record.status}; it has no debug session`);
    }
    return this.#debuggerOf(job);
  }

  /**
   * A live job's debugger (running, paused, or finished and still in memory) holds its breakpoints; those of a
   * finished job only the store knows are `StoredBreakpoints`.
   */
  async createBreakpoint(job_id: string, create: BreakpointCreate): Promise<Breakpoint> {
    const job = this.#jobs!.liveJob(job_id);
    if (!job)
      return this.#stored.create((await this.#jobs!.get(job_id)).job_id, this.newBreakpointId(), create);
    const breakpoint = this.#debuggerOf(job).add(
      this.newBreakpointId(),
      BreakpointCreateSchema.parse(create),
    );
    await this.store.saveBreakpoint(breakpoint);
    return breakpoint;
  }

  async listBreakpoints(job_id: string): Promise<Breakpoint[]> {
    const job = this.#jobs!.liveJob(job_id);
    if (job) return this.#debuggers.get(job)?.list() ?? [];
    return this.#stored.list((await this.#jobs!.get(job_id)).job_id);
  }

  async setBreakpointEnabled(job_id: string, breakpoint_id: string, enabled: boolean): Promise<Breakpoint> {
    const job = this.#jobs!.liveJob(job_id);
    if (!job) return this.#stored.setEnabled((await this.#jobs!.get(job_id)).job_id, breakpoint_id, enabled);
    const breakpoint = this.#debuggerOf(job).setEnabled(breakpoint_id, enabled);
    await this.store.saveBreakpoint(breakpoint);
    return breakpoint;
  }

  async deleteBreakpoint(job_id: string, breakpoint_id: string): Promise<void> {
    const job = this.#jobs!.liveJob(job_id);
    if (!job) return this.#stored.delete((await this.#jobs!.get(job_id)).job_id, breakpoint_id);
    this.#debuggerOf(job).remove(breakpoint_id);
    await this.store.deleteBreakpoint(job_id, breakpoint_id);
  }

  async session(job_id: string): Promise<DebugSession> {
    const job = this.#jobs!.liveJob(job_id);
    if (!job || isFinished(job.status)) {
      await this.#jobs!.get(job_id);
      return { status: "no_session", job_id };
    }
    return debugSession(this.#debuggerOf(job));
  }

  async resume(job_id: string): Promise<void> {
    (await this.#live(job_id)).job.resume();
  }

  async step(job_id: string, mode: "over" | "into"): Promise<void> {
    (await this.#live(job_id)).step(mode);
  }

  /** A job that is not paused (finished ones too) shows no variables: 200, not 409 (clients poll this). */
  async variables(
    job_id: string,
    routine_id?: string,
  ): Promise<{ routine_id: string | null; variables: JsonObject }> {
    const job = this.#jobs!.liveJob(job_id);
    if (job?.status === "paused") return this.#debuggerOf(job).variables(routine_id);
    await this.#jobs!.get(job_id);
    return notPausedVariables();
  }

  async setVariable(job_id: string, name: string, value: unknown): Promise<void> {
    (await this.#live(job_id)).setVariable(name, value);
  }

  async callStack(job_id: string): Promise<CallFrame[]> {
    return (await this.#live(job_id)).callStack();
  }

  async evaluate(job_id: string, expression: string, frame_index: number): Promise<Evaluation> {
    const debug = await this.#live(job_id);
    return tryEvaluate(expression, debug.evaluationContext(frame_index));
  }
}
