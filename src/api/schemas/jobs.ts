import { z } from "@hono/zod-openapi";
import { MAX_JOB_TIMEOUT_SECONDS } from "../../core/timers.js";
import { JOB_STATUSES, JobRecordSchema } from "../../core/types.js";
import { JobStateSchema } from "../../core/views.js";
import { Id, IsoInstant, named, urlIntegerOr } from "./common.js";
import { BreakpointCreateBody } from "./debug.js";

const jobExample = {
  job_id: "0b6f6a3e-8d9c-4b8e-9a51-2f0e5c1d7a42",
  flow_id: "linear_flow",
  status: "completed",
  created_at: "2026-01-15T08:30:00.123Z",
  started_at: "2026-01-15T08:30:00.124Z",
  completed_at: "2026-01-15T08:30:00.131Z",
  error: null,
};

export const Job = named(JobRecordSchema, "Job", {
  description: "One run of a flow. Timestamps are set when the job really starts and finishes",
  example: jobExample,
});

export const StartJobBody = z
  .object({
    flow_id: Id.openapi({ example: "linear_flow" }),
    entry_routine_id: Id.openapi({
      example: "source",
      description: "Its `trigger` slot receives `entry_params`",
    }),
    // Not z.record: it drops a `__proto__` key, and payload keys are data like any other.
    entry_params: z
      .custom<Record<string, unknown>>(
        (value) => typeof value === "object" && value !== null && !Array.isArray(value),
        "expected an object",
      )
      .optional()
      .openapi({ type: "object", additionalProperties: true, example: { data: "hello", count: 3 } }),
    timeout: z
      .number()
      .positive()
      .max(MAX_JOB_TIMEOUT_SECONDS, `timeout must be at most ${MAX_JOB_TIMEOUT_SECONDS} seconds (30 days)`)
      .nullable()
      .optional()
      .openapi({
        description: `Seconds, more than 0 and at most ${MAX_JOB_TIMEOUT_SECONDS} (30 days); the job fails with a timeout error when it runs longer`,
        example: 30,
      }),
    breakpoints: z.array(BreakpointCreateBody).optional().openapi({
      description: "Beyond the contract: installed before the first routine runs, so it can be caught",
    }),
    pause_on_start: z.boolean().optional().openapi({
      description: "Beyond the contract: pause before the entry routine's `trigger` runs",
    }),
  })
  .openapi("StartJob");

const queryParam = (name: string, description: string) => ({
  param: { name, in: "query" as const },
  description,
});

export const JobListQuery = z.object({
  flow_id: Id.optional().openapi(queryParam("flow_id", "Only jobs of this flow")),
  status: z.enum(JOB_STATUSES).optional().openapi(queryParam("status", "Only jobs in this status")),
  limit: urlIntegerOr(100, 1, 1000).openapi({ ...queryParam("limit", "Page size, 1–1000"), example: 100 }),
  offset: urlIntegerOr(0, 0).openapi({
    ...queryParam("offset", "Matches to skip; ignored when `cursor` is given"),
  }),
  cursor: z
    .string()
    .min(1)
    .max(512)
    .optional()
    .openapi(
      queryParam("cursor", "Opaque: the `next_cursor` of the previous page. Stable while jobs are added"),
    ),
  created_after: IsoInstant.optional().openapi(
    queryParam("created_after", "Inclusive lower bound on `created_at`"),
  ),
  created_before: IsoInstant.optional().openapi(
    queryParam("created_before", "Exclusive upper bound on `created_at`"),
  ),
  order: z
    .enum(["desc", "asc"])
    .default("desc")
    .openapi(queryParam("order", "By `created_at`: newest first (`desc`, the default) or oldest first")),
});

export const JobList = z
  .object({
    jobs: z.array(Job),
    total: z.number().int().openapi({ description: "Matches of the filters, before paging" }),
    limit: z.number().int(),
    offset: z.number().int(),
    next_cursor: z
      .string()
      .nullable()
      .openapi({ description: "Pass as `cursor` for the next page; null on the last page" }),
  })
  .openapi("JobList", {
    example: { jobs: [jobExample], total: 1, limit: 100, offset: 0, next_cursor: null },
  });

/** The reply of a control call: `{status: "paused", job_id}` and its siblings. */
const control = <const S extends string>(status: S, name: string) =>
  z
    .object({ status: z.literal(status), job_id: z.string() })
    .openapi(name, { example: { status, job_id: jobExample.job_id } });

export const JobPaused = control("paused", "JobPaused");
export const JobResumed = control("resumed", "JobResumed");
export const JobCancelled = control("cancelled", "JobCancelled");

export const JobStatusView = z
  .object({ job_id: z.string(), status: z.enum(JOB_STATUSES), flow_id: z.string() })
  .openapi("JobStatus", {
    example: { job_id: jobExample.job_id, status: "running", flow_id: "linear_flow" },
  });

export const JobState = named(JobStateSchema, "JobState", {
  description: "The job's state, derived from its event log; every array is present, even when empty",
});
