import { z } from "zod";

/** Every string union of the contract is defined once here; zod enums are built from the same arrays. */
export const JOB_STATUSES = ["pending", "running", "paused", "completed", "failed", "cancelled"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const FINISHED_STATUSES: ReadonlySet<JobStatus> = new Set(["completed", "failed", "cancelled"]);
export const isFinished = (status: JobStatus): boolean => FINISHED_STATUSES.has(status);

export const JOB_EVENT_TYPES = [
  "job_started",
  "job_completed",
  "job_failed",
  "job_paused",
  "job_resumed",
  "job_cancelled",
  "routine_started",
  "routine_completed",
  "routine_failed",
  "slot_called",
  "event_emitted",
  "breakpoint_hit",
  "breakpoint_error",
  "log",
] as const;
export type JobEventType = (typeof JOB_EVENT_TYPES)[number];

export const ERROR_STRATEGIES = ["stop", "continue", "retry", "skip"] as const;
export type ErrorStrategy = (typeof ERROR_STRATEGIES)[number];

export const EXECUTION_STRATEGIES = ["sequential", "concurrent"] as const;
export type ExecutionStrategy = (typeof EXECUTION_STRATEGIES)[number];

export const MERGE_STRATEGIES = ["override", "append"] as const;
export type MergeStrategy = (typeof MERGE_STRATEGIES)[number];

export const PAUSE_REASONS = ["user", "breakpoint", "step"] as const;
export type PauseReason = (typeof PAUSE_REASONS)[number];

export type JsonObject = Record<string, unknown>;

/** One entry of a job's event log. `seq` starts at 1 per job and has no gaps. */
export const JobEventSchema = z.object({
  seq: z.number().int().min(1),
  job_id: z.string(),
  type: z.enum(JOB_EVENT_TYPES),
  timestamp: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export type JobEvent = z.infer<typeof JobEventSchema>;

/** The stored, listable record of one job (the API's `Job`). */
export const JobRecordSchema = z.object({
  job_id: z.string(),
  flow_id: z.string(),
  status: z.enum(JOB_STATUSES),
  created_at: z.string(),
  started_at: z.string().nullable(),
  completed_at: z.string().nullable(),
  error: z.string().nullable(),
});
export type JobRecord = z.infer<typeof JobRecordSchema>;
