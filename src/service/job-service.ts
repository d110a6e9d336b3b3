import type { BreakpointCreate } from "../core/breakpoints.js";
import type { JobEvent, JobRecord, JsonObject } from "../core/types.js";
import type { JobMetrics, JobState, TraceEvent } from "../core/views.js";
import type { EventPage, JobPage, JobQuery } from "./store.js";

export interface StartJobRequest {
  flow_id: string;
  entry_routine_id: string;
  entry_params?: JsonObject;
  /** Seconds; the job fails with a timeout error when it runs longer. */
  timeout?: number | null;
  /** Installed before the first routine runs, so the first routine can be caught. */
  breakpoints?: BreakpointCreate[];
  /** Pause at the first delivery (the entry routine's `trigger`). */
  pause_on_start?: boolean;
}

/** A reader of every job's events, live. Called synchronously as events are logged: enqueue, never block. */
export type JobEventListener = (event: JobEvent, flow_id: string) => void;

export interface FlowJobMetrics {
  flow_id: string;
  total_jobs: number;
  completed_jobs: number;
  failed_jobs: number;
  job_metrics: { job_id: string; duration: number | null; status: JobRecord["status"] }[];
}

/**
 * What the API asks of jobs. `LocalJobService` runs them in this process; the Workers build forwards each
 * job's calls to its Durable Object. Unknown ids throw `NotFoundError`; forbidden transitions `InvalidStateError`.
 */
export interface JobService {
  start(request: StartJobRequest): Promise<JobRecord>;
  get(job_id: string): Promise<JobRecord>;
  list(query: JobQuery): Promise<JobPage>;
  pause(job_id: string): Promise<JobRecord>;
  resume(job_id: string): Promise<JobRecord>;
  cancel(job_id: string): Promise<JobRecord>;
  state(job_id: string): Promise<JobState>;
  metrics(job_id: string): Promise<JobMetrics>;
  /** `total` counts every trace event of the job, before `limit`. */
  trace(job_id: string, limit?: number): Promise<{ events: TraceEvent[]; total: number }>;
  logs(job_id: string): Promise<JsonObject[]>;
  /** The job's logged events with `seq > since`, oldest first. */
  events(job_id: string, since: number, limit: number): Promise<EventPage>;
  flowMetrics(flow_id: string): Promise<FlowJobMetrics>;
  /** Live events of every job from now on. Returns the unsubscribe function. */
  subscribe(listener: JobEventListener): () => void;
}
