import { createRoute } from "@hono/zod-openapi";
import type { RouterDeps } from "../deps.js";
import { jsonWithList } from "../json-list.js";
import { router } from "../router.js";
import { errors, JobIdParams, json, jsonBody } from "../schemas/common.js";
import {
  Job,
  JobCancelled,
  JobList,
  JobListQuery,
  JobPaused,
  JobResumed,
  JobState,
  JobStatusView,
  StartJobBody,
} from "../schemas/jobs.js";

const tags = ["jobs"];

const startJob = createRoute({
  method: "post",
  path: "/api/jobs",
  tags,
  summary: "Start a job",
  description:
    "Returns at once; the job runs in the background. Watch it with `GET /api/jobs/{job_id}` or the WebSocket.",
  request: { body: jsonBody(StartJobBody, "Which flow to run, from which routine, with what") },
  responses: {
    201: json(Job, "The job, just created"),
    ...errors({ 400: "The flow cannot run (invalid definition)", 404: "No such flow or entry routine" }),
  },
});

const listJobs = createRoute({
  method: "get",
  path: "/api/jobs",
  tags,
  summary: "List jobs",
  description:
    "Newest first. Page with `offset`, or with `cursor` (the previous page's `next_cursor`), which stays exact " +
    "while new jobs arrive. `total` counts the matches before paging.",
  request: { query: JobListQuery },
  responses: { 200: json(JobList, "One page of jobs"), ...errors() },
});

const getJob = createRoute({
  method: "get",
  path: "/api/jobs/{job_id}",
  tags,
  summary: "Get one job",
  request: { params: JobIdParams },
  responses: { 200: json(Job, "The job"), ...errors({ 404: "No such job" }) },
});

const controlRoute = <S extends typeof JobPaused | typeof JobResumed | typeof JobCancelled>(
  verb: "pause" | "resume" | "cancel",
  reply: S,
  rule: string,
) =>
  createRoute({
    method: "post",
    path: `/api/jobs/{job_id}/${verb}`,
    tags,
    summary: `${verb[0]!.toUpperCase()}${verb.slice(1)} a job`,
    description: rule,
    request: { params: JobIdParams },
    responses: {
      200: json(reply, "Done"),
      ...errors({ 404: "No such job", 409: "Not allowed in the job's state" }),
    },
  });

const pauseJob = controlRoute("pause", JobPaused, "Only a running job can be paused; 409 otherwise.");
const resumeJob = controlRoute("resume", JobResumed, "Only a paused job can be resumed; 409 otherwise.");
const cancelJob = controlRoute(
  "cancel",
  JobCancelled,
  "Only an unfinished job can be cancelled; 409 otherwise.",
);

const jobStatus = createRoute({
  method: "get",
  path: "/api/jobs/{job_id}/status",
  tags,
  summary: "A job's status",
  request: { params: JobIdParams },
  responses: { 200: json(JobStatusView, "The status"), ...errors({ 404: "No such job" }) },
});

const jobState = createRoute({
  method: "get",
  path: "/api/jobs/{job_id}/state",
  tags,
  summary: "A job's full state",
  request: { params: JobIdParams },
  responses: { 200: json(JobState, "The state"), ...errors({ 404: "No such job" }) },
});

export const jobRoutes = ({ jobs }: RouterDeps) =>
  router()
    .openapi(startJob, async (c) => c.json(await jobs.start(c.req.valid("json")), 201))
    .openapi(listJobs, async (c) => {
      const query = c.req.valid("query");
      const { jobs: page, total, next_cursor } = await jobs.list(query);
      return jsonWithList(c, "jobs", page, { total, limit: query.limit, offset: query.offset, next_cursor });
    })
    .openapi(getJob, async (c) => c.json(await jobs.get(c.req.valid("param").job_id), 200))
    .openapi(pauseJob, async (c) => {
      const { job_id } = await jobs.pause(c.req.valid("param").job_id);
      return c.json({ status: "paused" as const, job_id }, 200);
    })
    .openapi(resumeJob, async (c) => {
      const { job_id } = await jobs.resume(c.req.valid("param").job_id);
      return c.json({ status: "resumed" as const, job_id }, 200);
    })
    .openapi(cancelJob, async (c) => {
      const { job_id } = await jobs.cancel(c.req.valid("param").job_id);
      return c.json({ status: "cancelled" as const, job_id }, 200);
    })
    .openapi(jobStatus, async (c) => {
      const { job_id, status, flow_id } = await jobs.get(c.req.valid("param").job_id);
      return c.json({ job_id, status, flow_id }, 200);
    })
    .openapi(jobState, async (c) => c.json(await jobs.state(c.req.valid("param").job_id), 200));
