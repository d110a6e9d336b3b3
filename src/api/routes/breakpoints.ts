import { createRoute } from "@hono/zod-openapi";
import type { RouterDeps } from "../deps.js";
import { validationError } from "../errors.js";
import { router } from "../router.js";
import { errors, JobIdParams, json, jsonBody, optionalJsonBody } from "../schemas/common.js";
import {
  Breakpoint,
  BreakpointCreateBody,
  BreakpointIdParams,
  BreakpointList,
  BreakpointToggleBody,
  BreakpointToggleQuery,
} from "../schemas/debug.js";
import { debuggerOf } from "./debug.js";

const tags = ["debug"];

const createBreakpoint = createRoute({
  method: "post",
  path: "/api/jobs/{job_id}/breakpoints",
  tags,
  summary: "Set a breakpoint",
  description:
    "On a live job. A condition that does not parse is refused (422, with the position). Breakpoints can also " +
    "be given when the job starts (`breakpoints` on `POST /api/jobs`), to catch the first routine.",
  request: { params: JobIdParams, body: jsonBody(BreakpointCreateBody, "What to break on, and when") },
  responses: {
    201: json(Breakpoint, "The breakpoint, armed"),
    ...errors({ 404: "No such job", 409: "The job has finished" }),
  },
});

const listBreakpoints = createRoute({
  method: "get",
  path: "/api/jobs/{job_id}/breakpoints",
  tags,
  summary: "List a job's breakpoints",
  description: "A finished job's breakpoints come from the store, with their final hit counts.",
  request: { params: JobIdParams },
  responses: { 200: json(BreakpointList, "The breakpoints"), ...errors({ 404: "No such job" }) },
});

const toggleBreakpoint = createRoute({
  method: "put",
  path: "/api/jobs/{job_id}/breakpoints/{breakpoint_id}",
  tags,
  summary: "Enable or disable a breakpoint",
  description: "`?enabled=true|false`, or a JSON body `{enabled}`; the query wins when both are given.",
  request: {
    params: BreakpointIdParams,
    query: BreakpointToggleQuery,
    body: optionalJsonBody(BreakpointToggleBody, "`{enabled}`, when the query has none"),
  },
  responses: {
    200: json(Breakpoint, "The breakpoint"),
    ...errors({ 404: "No such job or breakpoint", 409: "The job has finished" }),
  },
});

const deleteBreakpoint = createRoute({
  method: "delete",
  path: "/api/jobs/{job_id}/breakpoints/{breakpoint_id}",
  tags,
  summary: "Remove a breakpoint",
  request: { params: BreakpointIdParams },
  responses: {
    204: { description: "Removed" },
    ...errors({ 404: "No such job or breakpoint", 409: "The job has finished" }),
  },
});

export const breakpointRoutes = (deps: RouterDeps) => {
  const debug = debuggerOf(deps);
  return router()
    .openapi(createBreakpoint, async (c) =>
      c.json(await debug().createBreakpoint(c.req.valid("param").job_id, c.req.valid("json")), 201),
    )
    .openapi(listBreakpoints, async (c) => {
      const breakpoints = await debug().listBreakpoints(c.req.valid("param").job_id);
      return c.json({ breakpoints, total: breakpoints.length }, 200);
    })
    .openapi(toggleBreakpoint, async (c) => {
      const { job_id, breakpoint_id } = c.req.valid("param");
      const enabled = requestedEnabled(c.req.valid("query").enabled, c.req.valid("json").enabled);
      return c.json(await debug().setBreakpointEnabled(job_id, breakpoint_id, enabled), 200);
    })
    .openapi(deleteBreakpoint, async (c) => {
      const { job_id, breakpoint_id } = c.req.valid("param");
      await debug().deleteBreakpoint(job_id, breakpoint_id);
      return c.body(null, 204);
    });
};

/** The old clients send `?enabled=`; newer ones may send `{enabled}`. One of them must say it. */
function requestedEnabled(query: "true" | "false" | undefined, body: boolean | undefined): boolean {
  if (query !== undefined) return query === "true";
  if (body !== undefined) return body;
  throw validationError([
    {
      path: "query.enabled",
      message: 'Required: ?enabled=true|false, or a JSON body {"enabled": true|false}',
    },
  ]);
}
