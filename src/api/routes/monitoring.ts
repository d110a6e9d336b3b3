import { createRoute } from "@hono/zod-openapi";
import type { RouterDeps } from "../deps.js";
import { router } from "../router.js";
import { errors, JobIdParams, json } from "../schemas/common.js";
import { EventPage, EventsQuery, JobLogs, JobMetrics, Trace, TraceQuery } from "../schemas/monitoring.js";

const tags = ["monitoring"];

const jobMetrics = createRoute({
  method: "get",
  path: "/api/jobs/{job_id}/metrics",
  tags,
  summary: "A job's metrics",
  request: { params: JobIdParams },
  responses: { 200: json(JobMetrics, "Metrics"), ...errors({ 404: "No such job" }) },
});

const jobTrace = createRoute({
  method: "get",
  path: "/api/jobs/{job_id}/trace",
  tags,
  summary: "A job's trace",
  request: { params: JobIdParams, query: TraceQuery },
  responses: { 200: json(Trace, "Trace events, oldest first"), ...errors({ 404: "No such job" }) },
});

const jobLogs = createRoute({
  method: "get",
  path: "/api/jobs/{job_id}/logs",
  tags,
  summary: "What a job's routines logged",
  request: { params: JobIdParams },
  responses: { 200: json(JobLogs, "Log entries, oldest first"), ...errors({ 404: "No such job" }) },
});

const jobEvents = createRoute({
  method: "get",
  path: "/api/jobs/{job_id}/events",
  tags,
  summary: "A job's event log",
  description:
    "The events the WebSocket streams, with the same `seq`: those after `since`, oldest first. A client that " +
    "was told `events:dropped` fetches the gap here.",
  request: { params: JobIdParams, query: EventsQuery },
  responses: { 200: json(EventPage, "Events after `since`"), ...errors({ 404: "No such job" }) },
});

export const monitoringRoutes = ({ jobs }: RouterDeps) =>
  router()
    .openapi(jobMetrics, async (c) => c.json(await jobs.metrics(c.req.valid("param").job_id), 200))
    .openapi(jobTrace, async (c) =>
      c.json(await jobs.trace(c.req.valid("param").job_id, c.req.valid("query").limit), 200),
    )
    .openapi(jobLogs, async (c) => {
      const { job_id } = c.req.valid("param");
      return c.json({ job_id, logs: await jobs.logs(job_id) }, 200);
    })
    .openapi(jobEvents, async (c) => {
      const { since, limit } = c.req.valid("query");
      return c.json(await jobs.events(c.req.valid("param").job_id, since, limit), 200);
    });
