import type { FlowDefinition } from "../core/flow.js";
import type { JobEvent, JobRecord, JobStatus } from "../core/types.js";

/** Filters and paging of the job list. `cursor` (opaque, from a page's `next_cursor`) takes precedence over `offset`. */
export interface JobQuery {
  flow_id?: string;
  status?: JobStatus;
  /** ISO-8601; inclusive lower bound on `created_at`. */
  created_after?: string;
  /** ISO-8601; exclusive upper bound on `created_at`. */
  created_before?: string;
  order: "desc" | "asc";
  limit: number;
  offset: number;
  cursor?: string;
}

export interface JobPage {
  jobs: JobRecord[];
  /** Matches of the filters before paging. */
  total: number;
  /** Continues after the last job of this page; null when there is nothing after it. */
  next_cursor: string | null;
}

export interface EventPage {
  events: JobEvent[];
  /** Highest seq the job has logged (0 when none). */
  last_seq: number;
  /** Lowest seq still held (1 unless the log was truncated from the front; last_seq + 1 when empty). */
  oldest_seq: number;
}

export interface RetentionPolicy {
  /** Keep at most this many finished jobs (newest first); unlimited when undefined. */
  maxJobs?: number;
  /** Delete finished jobs completed before this ISO time. */
  finishedBefore?: string;
}

/** What a job's breakpoints look like at rest; the debugger owns their meaning. */
export interface StoredBreakpoint {
  breakpoint_id: string;
  job_id: string;
  [field: string]: unknown;
}

/**
 * Everything Routilux keeps. Async and narrow so that memory, SQLite and Durable Object storage fit behind it;
 * one contract test suite runs against every implementation.
 */
export interface Store {
  saveFlow(flow: FlowDefinition): Promise<void>;
  getFlow(flowId: string): Promise<FlowDefinition | null>;
  listFlows(): Promise<FlowDefinition[]>;
  /** False when there was no such flow. */
  deleteFlow(flowId: string): Promise<boolean>;

  /** Insert or replace the record with this job_id. */
  saveJob(job: JobRecord): Promise<void>;
  getJob(jobId: string): Promise<JobRecord | null>;
  listJobs(query: JobQuery): Promise<JobPage>;
  /** Jobs with one of these statuses (used at start-up to find jobs a restart interrupted). */
  jobsWithStatus(statuses: readonly JobStatus[]): Promise<JobRecord[]>;

  /** Appends events in seq order; seqs continue the job's log. */
  appendEvents(jobId: string, events: readonly JobEvent[]): Promise<void>;
  /** Events with `seq > since`, oldest first, at most `limit`. */
  readEvents(jobId: string, since: number, limit: number): Promise<EventPage>;
  /** Drops a job's oldest events so that at most `keep` remain. */
  truncateEvents(jobId: string, keep: number): Promise<void>;

  saveBreakpoint(breakpoint: StoredBreakpoint): Promise<void>;
  deleteBreakpoint(jobId: string, breakpointId: string): Promise<boolean>;
  listBreakpoints(jobId: string): Promise<StoredBreakpoint[]>;

  /** Deletes finished jobs (record, events, breakpoints) beyond the policy; returns how many went. */
  sweep(policy: RetentionPolicy): Promise<number>;
  close(): Promise<void>;
}
