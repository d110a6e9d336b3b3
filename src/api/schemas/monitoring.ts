import { z } from "@hono/zod-openapi";
import { JobEventSchema } from "../../core/types.js";
import { JobMetricsSchema, TraceEventSchema } from "../../core/views.js";
import { named, urlInteger, urlIntegerOr } from "./common.js";

export const JobMetrics = named(JobMetricsSchema, "JobMetrics", {
  description: "Counts and durations (seconds) per routine, derived from the job's event log",
});

export const TraceEvent = named(TraceEventSchema, "TraceEvent", {
  example: {
    event_id: "0b6f6a3e-8d9c-4b8e-9a51-2f0e5c1d7a42:7",
    job_id: "0b6f6a3e-8d9c-4b8e-9a51-2f0e5c1d7a42",
    routine_id: "transformer",
    event_type: "routine_completed",
    timestamp: "2026-01-15T08:30:00.127Z",
    data: { routine_id: "transformer", duration: 0.0004, status: "completed" },
    duration: 0.0004,
    status: "completed",
  },
});

export const TraceQuery = z.object({
  limit: urlInteger(0)
    .optional()
    .openapi({
      param: { name: "limit", in: "query", description: "At most this many events, oldest first" },
    }),
});

export const Trace = z
  .object({
    events: z.array(TraceEvent),
    total: z.number().int().openapi({ description: "All trace events of the job, before `limit`" }),
  })
  .openapi("Trace");

export const JobLogs = z
  .object({
    job_id: z.string(),
    logs: z
      .array(z.record(z.string(), z.unknown()))
      .openapi({ description: "What routines logged, oldest first" }),
  })
  .openapi("JobLogs");

export const JobEvent = named(JobEventSchema, "JobEvent", {
  description:
    "One entry of the job's event log; `seq` starts at 1 and has no gaps. The WebSocket streams the same",
  example: {
    seq: 42,
    job_id: "0b6f6a3e-8d9c-4b8e-9a51-2f0e5c1d7a42",
    type: "routine_completed",
    timestamp: "2026-01-15T08:30:00.123Z",
    data: { routine_id: "transformer", duration: 0.0012, status: "completed" },
  },
});

export const EventsQuery = z.object({
  since: urlIntegerOr(0, 0).openapi({
    param: { name: "since", in: "query", description: "Events with `seq` greater than this" },
  }),
  limit: urlIntegerOr(1000, 1, 10_000).openapi({
    param: { name: "limit", in: "query", description: "At most this many events, 1–10000" },
  }),
});

export const EventPage = z
  .object({
    events: z.array(JobEvent),
    last_seq: z.number().int().openapi({ description: "Highest seq the job has logged (0 when none)" }),
    oldest_seq: z
      .number()
      .int()
      .openapi({ description: "Lowest seq still held: 1 unless the log was truncated from the front" }),
  })
  .openapi("JobEventPage");
