import { checkBreakpointCount } from "../core/breakpoints.js";
import { type Clock, defaultClock, type IdFactory, newId } from "../core/clock.js";
import { compileFlow } from "../core/compiled-flow.js";
import { AtCapacityError, InvalidStateError, NotFoundError } from "../core/errors.js";
import { MemoryBudget } from "../core/event-log.js";
import { Job } from "../core/job.js";
import type { JobLimits } from "../core/job-memory.js";
import type { RoutineRegistry } from "../core/routine.js";
import type { JobEvent, JobRecord, JsonObject } from "../core/types.js";
import {
  type JobMetrics,
  type JobState,
  jobLogs,
  jobMetrics,
  jobState,
  liveJobState,
  totalsOf,
  traceEvent,
} from "../core/views.js";
import { EventWriter } from "./event-writer.js";
import type { FlowService } from "./flow-service.js";
import type { FlowJobMetrics, JobEventListener, JobService, StartJobRequest } from "./job-service.js";
import type { ServiceLimits } from "./limits.js";
import type { EventPage, JobPage, JobQuery, Store } from "./store.js";

export interface LocalJobServiceOptions {
  store: Store;
  flows: FlowService;
  registry: RoutineRegistry;
  clock?: Clock;
  newId?: IdFactory;
  /** Cap of each job's event log; older events are dropped from the front. */
  maxEventsPerJob?: number;
  limits?: Partial<ServiceLimits>;
  /** Finished jobs kept in memory (for `shared_data` in their state) before only the store answers for them. */
  keepFinished?: number;
  /** Called with each job before it starts, so the debugger can install breakpoints that catch the first routine. */
  prepare?: (job: Job, request: StartJobRequest) => void;
  onError?: (error: unknown) => void;
}

/** The slice of job events a flow-level reader needs per job; the log itself holds the rest. */
const ALL_EVENTS = Number.MAX_SAFE_INTEGER;
const FLOW_METRICS_JOBS = 1000;

/** Runs jobs in this process (Node, Bun) through the engine, persisting records and events to the store. */
export class LocalJobService implements JobService {
  readonly #store: Store;
  readonly #flows: FlowService;
  readonly #registry: RoutineRegistry;
  readonly #clock: Clock;
  readonly #newId: IdFactory;
  readonly #maxEvents: number;
  readonly #maxBreakpointsPerJob: number | undefined;
  readonly #keepFinished: number;
  readonly #prepare: LocalJobServiceOptions["prepare"];
  readonly #onError: (error: unknown) => void;
  /** Unfinished jobs, then the most recently finished ones (Map order = insertion order = eviction order). */
  readonly #live = new Map<string, { job: Job; writer: EventWriter }>();
  readonly #finished: string[] = [];
  #listeners: JobEventListener[] = [];
  readonly #jobLimits: JobLimits;
  /** Live data and logs of every unfinished job (ROUTILUX_MAX_TOTAL_BYTES). */
  readonly #budget: MemoryBudget;
  readonly #maxActive: number;
  /** Jobs pending, running or paused, and starts on their way (counted before their first await). */
  #active = 0;

  constructor(options: LocalJobServiceOptions) {
    this.#store = options.store;
    this.#flows = options.flows;
    this.#registry = options.registry;
    this.#clock = options.clock ?? defaultClock;
    this.#newId = options.newId ?? newId;
    this.#maxEvents = options.maxEventsPerJob ?? 100_000;
    this.#maxBreakpointsPerJob = options.limits?.maxBreakpointsPerJob;
    this.#keepFinished = options.keepFinished ?? 200;
    this.#prepare = options.prepare;
    this.#onError = options.onError ?? ((error) => console.error(error));
    const limits = options.limits ?? {};
    this.#jobLimits = {
      maxEventBytes: limits.maxEventBytes,
      maxLogBytes: limits.maxLogBytes,
      maxJobBytes: limits.maxJobBytes,
      maxPendingDeliveries: limits.maxPendingDeliveries,
    };
    this.#budget = new MemoryBudget(limits.maxTotalBytes);
    this.#maxActive = limits.maxActiveJobs ?? Number.POSITIVE_INFINITY;
  }

  /** Bytes all unfinished jobs hold (live data and logs), counted as the memory limits count them. */
  get memoryInUse(): number {
    return this.#budget.used;
  }

  /** Refuses a new job while the server is at capacity; nothing is created. */
  #admit(): void {
    if (this.#active >= this.#maxActive) {
      throw new AtCapacityError(
        `${this.#active} jobs are active (pending, running or paused), the most ROUTILUX_MAX_ACTIVE_JOBS allows`,
        { limit: this.#maxActive, active: this.#active },
      );
    }
    if (this.#budget.exceeded) {
      throw new AtCapacityError(
        `jobs hold ${this.#budget.used} bytes, over ROUTILUX_MAX_TOTAL_BYTES (${this.#budget.limit} bytes)`,
        { limit: this.#budget.limit, limit_name: "ROUTILUX_MAX_TOTAL_BYTES", used: this.#budget.used },
      );
    }
  }

  /** The in-process job, while it runs and for a while after; undefined once only the store knows it. */
  liveJob(job_id: string): Job | undefined {
    return this.#live.get(job_id)?.job;
  }

  async start(request: StartJobRequest): Promise<JobRecord> {
    checkBreakpointCount(0, request.breakpoints?.length ?? 0, this.#maxBreakpointsPerJob);
    this.#admit();
    this.#active++;
    let started: { job: Job; writer: EventWriter };
    try {
      started = await this.#startJob(request);
    } catch (error) {
      this.#active--;
      throw error;
    }
    const { job, writer } = started;
    job.done.then(() => this.#active--);
    // Saved as it is once started, so the list never shows a job as pending that is already running.
    await writer.saveRecord();
    return writer.record;
  }

  async #startJob(request: StartJobRequest): Promise<{ job: Job; writer: EventWriter }> {
    const definition = await this.#flows.definition(request.flow_id);
    const flow = compileFlow(definition, this.#registry);
    if (!flow.routines.has(request.entry_routine_id))
      throw new NotFoundError("routine", request.entry_routine_id);
    const job = new Job({
      job_id: this.#newId(),
      flow,
      clock: this.#clock,
      maxEvents: this.#maxEvents,
      limits: this.#jobLimits,
      budget: this.#budget,
      timeout: request.timeout ?? null,
    });
    const writer = new EventWriter(
      this.#store,
      job,
      this.#maxEvents,
      (error) => this.#storageFault(job, error),
      this.#onError,
    );
    job.log.subscribe((event) => {
      writer.push(event);
      this.#dispatch(event, job.flow_id);
    });
    this.#live.set(job.job_id, { job, writer });
    this.#prepare?.(job, request);
    job.start(request.entry_routine_id, request.entry_params ?? {});
    job.done.then(() => this.#retire(job.job_id, writer));
    return { job, writer };
  }

  /**
   * A write of the job's events or record failed: the job fails with that cause, and from now on the store answers
   * for it alone, so every read (the list included) sees the same record and log, and none the event that could
   * not be stored.
   */
  #storageFault(job: Job, error: string): void {
    job.interrupt(error);
    this.#live.delete(job.job_id);
  }

  async #retire(job_id: string, writer: EventWriter): Promise<void> {
    await writer.flushed();
    this.#finished.push(job_id);
    while (this.#finished.length > this.#keepFinished) this.#live.delete(this.#finished.shift()!);
  }

  /** Fails every unfinished job with `error` (graceful shutdown: the store is about to close). */
  interruptAll(error: string): void {
    for (const { job } of this.#live.values()) job.interrupt(error);
  }

  /** Drops finished jobs from memory so only the store answers for them (after a retention sweep). */
  forgetFinished(): void {
    for (const job_id of this.#finished) this.#live.delete(job_id);
    this.#finished.length = 0;
  }

  /** Resolves when every job's events logged so far are in the store (graceful shutdown, tests). */
  async flushed(): Promise<void> {
    await Promise.all([...this.#live.values()].map(({ writer }) => writer.flushed()));
  }

  #dispatch(event: JobEvent, flow_id: string): void {
    const listeners = this.#listeners;
    for (let i = 0; i < listeners.length; i++) {
      try {
        listeners[i]!(event, flow_id);
      } catch (error) {
        this.#onError(error);
      }
    }
  }

  subscribe(listener: JobEventListener): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  async get(job_id: string): Promise<JobRecord> {
    const live = this.#live.get(job_id);
    if (live) return live.job.record();
    const record = await this.#store.getJob(job_id);
    if (!record) throw new NotFoundError("job", job_id);
    return record;
  }

  list(query: JobQuery): Promise<JobPage> {
    return this.#store.listJobs(query);
  }

  pause(job_id: string): Promise<JobRecord> {
    return this.#control(job_id, "pause", (job) => job.pause());
  }

  resume(job_id: string): Promise<JobRecord> {
    return this.#control(job_id, "resume", (job) => job.resume());
  }

  cancel(job_id: string): Promise<JobRecord> {
    return this.#control(job_id, "cancel", (job) => job.cancel());
  }

  async #control(job_id: string, verb: string, act: (job: Job) => void): Promise<JobRecord> {
    const live = this.#live.get(job_id);
    if (live) {
      act(live.job);
      return live.job.record();
    }
    const record = await this.get(job_id);
    throw new InvalidStateError(`Cannot ${verb} job '${job_id}': it is ${record.status}`);
  }

  async events(job_id: string, since: number, limit: number): Promise<EventPage> {
    const live = this.#live.get(job_id);
    if (live) {
      const log = live.job.log;
      return { events: log.since(since, limit), last_seq: log.lastSeq, oldest_seq: log.oldestSeq };
    }
    await this.get(job_id);
    return this.#store.readEvents(job_id, since, limit);
  }

  /** A finished job's views read its totals from its final event (views.ts totalsOf). */
  async #allEvents(job_id: string): Promise<{ record: JobRecord; events: JobEvent[]; job?: Job }> {
    const live = this.#live.get(job_id);
    if (live) return { record: live.job.record(), events: live.job.log.all(), job: live.job };
    const record = await this.get(job_id);
    const { events } = await this.#store.readEvents(job_id, 0, ALL_EVENTS);
    return { record, events };
  }

  async state(job_id: string): Promise<JobState> {
    const { record, events, job } = await this.#allEvents(job_id);
    if (job) return liveJobState(job, events);
    const definition = await this.#flows.definition(record.flow_id).catch(() => null);
    return jobState(record, Object.keys(definition?.routines ?? {}), events, null);
  }

  async metrics(job_id: string): Promise<JobMetrics> {
    const { record, events, job } = await this.#allEvents(job_id);
    return jobMetrics(record, events, job ? job.totals() : totalsOf(events));
  }

  async trace(job_id: string, limit?: number) {
    const { events, job } = await this.#allEvents(job_id);
    const shown = limit === undefined ? events : events.slice(0, limit);
    return { events: shown.map(traceEvent), total: (job ? job.totals() : totalsOf(events)).events };
  }

  async logs(job_id: string): Promise<JsonObject[]> {
    const { events } = await this.#allEvents(job_id);
    return jobLogs(events);
  }

  async flowMetrics(flow_id: string): Promise<FlowJobMetrics> {
    await this.#flows.definition(flow_id);
    const count = async (status?: JobRecord["status"]) =>
      (await this.#store.listJobs({ flow_id, status, order: "desc", limit: 1, offset: 0 })).total;
    const [total_jobs, completed_jobs, failed_jobs, recent] = await Promise.all([
      count(),
      count("completed"),
      count("failed"),
      this.#store.listJobs({ flow_id, order: "desc", limit: FLOW_METRICS_JOBS, offset: 0 }),
    ]);
    return {
      flow_id,
      total_jobs,
      completed_jobs,
      failed_jobs,
      job_metrics: recent.jobs.map((job) => ({
        job_id: job.job_id,
        status: job.status,
        duration:
          job.started_at && job.completed_at
            ? (Date.parse(job.completed_at) - Date.parse(job.started_at)) / 1000
            : null,
      })),
    };
  }
}
