import { createRoute } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { NotFoundError } from "../../core/errors.js";
import type { DebugService, Evaluation as EvaluationReply } from "../../service/debug-service.js";
import type { RouterDeps } from "../deps.js";
import type { AppEnv } from "../env.js";
import { ApiError, type ErrorEnvelope, errorResponse } from "../errors.js";
import { auditRecord } from "../middleware/audit.js";
import { router } from "../router.js";
import { errors, JobIdParams, json, jsonBody } from "../schemas/common.js";
import {
  CallStack,
  DebugSession,
  EvaluateBody,
  Evaluation,
  SetVariableBody,
  Stepping,
  VariableParams,
  VariableSet,
  Variables,
  VariablesQuery,
} from "../schemas/debug.js";
import { JobResumed } from "../schemas/jobs.js";

const tags = ["debug"];
const NEEDS_PAUSE = "The job is not paused (or has finished)";

/**
 * The debugger, or a 404 on a server wired without one (an embedder's choice): the routes stay in the
 * document and in `AppType` either way.
 */
export function debuggerOf({ debug }: RouterDeps): () => DebugService {
  return () => {
    if (!debug) throw new ApiError("NOT_FOUND", 404, "This server runs without a debugger");
    return debug;
  };
}

const getSession = createRoute({
  method: "get",
  path: "/api/jobs/{job_id}/debug/session",
  tags,
  summary: "A job's debug session",
  request: { params: JobIdParams },
  responses: { 200: json(DebugSession, "The session"), ...errors({ 404: "No such job" }) },
});

const resume = createRoute({
  method: "post",
  path: "/api/jobs/{job_id}/debug/resume",
  tags,
  summary: "Resume a paused job",
  request: { params: JobIdParams },
  responses: {
    200: json(JobResumed, "Running again"),
    ...errors({ 404: "No such job", 409: NEEDS_PAUSE }),
  },
});

const STEP_RULES = {
  over: "Runs the paused handler to completion, then pauses at the next delivery, whatever caused it.",
  into: "Pauses at the next delivery caused by the paused handler (as `over` when it causes none).",
} as const;

const stepRoute = (mode: "over" | "into") =>
  createRoute({
    method: "post",
    path: `/api/jobs/{job_id}/debug/step-${mode}`,
    tags,
    summary: `Step ${mode}`,
    description: STEP_RULES[mode],
    request: { params: JobIdParams },
    responses: { 200: json(Stepping, "Stepping"), ...errors({ 404: "No such job", 409: NEEDS_PAUSE }) },
  });

const stepOver = stepRoute("over");
const stepInto = stepRoute("into");

const getVariables = createRoute({
  method: "get",
  path: "/api/jobs/{job_id}/debug/variables",
  tags,
  summary: "Variables at the paused point",
  description: "The paused payload, or with `routine_id` another routine's state; a JSON snapshot.",
  request: { params: JobIdParams, query: VariablesQuery },
  responses: {
    200: json(Variables, "The variables"),
    ...errors({ 404: "No such job or routine", 409: NEEDS_PAUSE }),
  },
});

const setVariable = createRoute({
  method: "put",
  path: "/api/jobs/{job_id}/debug/variables/{name}",
  tags,
  summary: "Change a field of the paused payload",
  description: "The paused handler receives the new value when the job resumes or steps.",
  request: { params: VariableParams, body: jsonBody(SetVariableBody, "`{value}`: any JSON value") },
  responses: {
    200: json(VariableSet, "Set"),
    ...errors({ 404: "No such job", 409: "The job is not paused before a handler" }),
  },
});

const getCallStack = createRoute({
  method: "get",
  path: "/api/jobs/{job_id}/debug/call-stack",
  tags,
  summary: "The chain of deliveries that led to the paused point",
  request: { params: JobIdParams },
  responses: { 200: json(CallStack, "Innermost first"), ...errors({ 404: "No such job", 409: NEEDS_PAUSE }) },
});

const EVALUATE_PATH = "/api/jobs/{job_id}/debug/evaluate";

const evaluate = createRoute({
  method: "post",
  path: EVALUATE_PATH,
  tags,
  summary: "Evaluate an expression at the paused point",
  description:
    "The names are those a breakpoint condition sees there. Off unless `ROUTILUX_EXPR_EVAL_ENABLED=true`; " +
    "every call is written to the audit log. An expression that fails answers 200 with `error`.",
  request: { params: JobIdParams, body: jsonBody(EvaluateBody, "The expression and the frame") },
  responses: {
    200: json(Evaluation, "The result, or the expression's error"),
    ...errors({
      403: "Expression evaluation is disabled",
      404: "No such job, or the routine is not in the call stack",
      409: NEEDS_PAUSE,
    }),
  },
});

export const debugRoutes = (deps: RouterDeps) => {
  const debug = debuggerOf(deps);
  const app = router();
  // Hono's `:name` syntax: this is the plain Hono side of the app, not the OpenAPI one.
  app.use(EVALUATE_PATH.replace("{job_id}", ":job_id"), auditedEvaluation(deps));
  return app
    .openapi(getSession, async (c) => c.json(await debug().session(c.req.valid("param").job_id), 200))
    .openapi(resume, async (c) => {
      const { job_id } = c.req.valid("param");
      await debug().resume(job_id);
      return c.json({ status: "resumed" as const, job_id }, 200);
    })
    .openapi(stepOver, async (c) => {
      const { job_id } = c.req.valid("param");
      await debug().step(job_id, "over");
      return c.json({ status: "stepping" as const, job_id, step_mode: "over" as const }, 200);
    })
    .openapi(stepInto, async (c) => {
      const { job_id } = c.req.valid("param");
      await debug().step(job_id, "into");
      return c.json({ status: "stepping" as const, job_id, step_mode: "into" as const }, 200);
    })
    .openapi(getVariables, async (c) => {
      const { job_id } = c.req.valid("param");
      const { routine_id, variables } = await debug().variables(job_id, c.req.valid("query").routine_id);
      return c.json({ job_id, routine_id, variables }, 200);
    })
    .openapi(setVariable, async (c) => {
      const { job_id, name } = c.req.valid("param");
      const { value } = c.req.valid("json");
      await debug().setVariable(job_id, name, value);
      return c.json({ job_id, variable: name, value }, 200);
    })
    .openapi(getCallStack, async (c) => {
      const { job_id } = c.req.valid("param");
      return c.json({ job_id, call_stack: await debug().callStack(job_id) }, 200);
    })
    .openapi(evaluate, async (c) => {
      const { job_id } = c.req.valid("param");
      const { expression, routine_id, frame_index } = c.req.valid("json");
      const frame =
        routine_id === undefined ? frame_index : await frameOf(debug(), job_id, routine_id, frame_index);
      return c.json(await debug().evaluate(job_id, expression, frame), 200);
    });
};

/** The innermost frame of `routine_id` at or below `from`, as an index of the call stack. */
async function frameOf(
  debug: DebugService,
  job_id: string,
  routine_id: string,
  from: number,
): Promise<number> {
  const stack = await debug.callStack(job_id);
  const index = stack.findIndex((frame, i) => i >= from && frame.routine_id === routine_id);
  if (index < 0) {
    throw new NotFoundError("routine", routine_id, `Routine '${routine_id}' is not in the call stack`);
  }
  return index;
}

/**
 * Guards and audits `evaluate`: the 403 comes before anything else (a disabled feature reveals nothing about
 * jobs), and every call — refused, invalid, failed or answered — leaves exactly one audit line with the key
 * hash, job, expression, outcome and duration. A middleware rather than the handler, because zod's 422 and the
 * service's 404/409 never reach the handler's end.
 */
function auditedEvaluation({ config, audit }: RouterDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.req.method !== "POST") return next();
    const started = performance.now();
    if (config.exprEvalEnabled) await next();
    else c.res = errorResponse(c, evaluationDisabled());
    const duration = (performance.now() - started) / 1000;
    const { outcome, error } = await outcomeOf(c.res);
    audit.record(
      auditRecord(c, "debug.evaluate", outcome, {
        job_id: c.req.param("job_id"),
        expression: await expressionOf(c.req.json()),
        duration,
        ...(error === undefined ? {} : { error }),
      }),
    );
  };
}

const evaluationDisabled = () =>
  new ApiError(
    "FORBIDDEN",
    403,
    "Expression evaluation is disabled; the server enables it with ROUTILUX_EXPR_EVAL_ENABLED=true",
  );

/** `ok` or `error` (the expression failed) for an answer, `denied` for the 403, else the error code in lower case. */
async function outcomeOf(response: Response): Promise<{ outcome: string; error?: string }> {
  if (response.status === 403) return { outcome: "denied" };
  const body: unknown = await response
    .clone()
    .json()
    .catch(() => null);
  if (response.status === 200) {
    const { error } = body as EvaluationReply;
    return error === null ? { outcome: "ok" } : { outcome: "error", error };
  }
  const envelope = body as ErrorEnvelope | null;
  return {
    outcome: envelope?.error.code.toLowerCase() ?? `http_${response.status}`,
    error: envelope?.detail,
  };
}

/** The expression as sent, whatever became of the request (the body was parsed once, and cached, by then). */
async function expressionOf(body: Promise<unknown>): Promise<string | null> {
  try {
    const { expression } = (await body) as { expression?: unknown };
    return typeof expression === "string" ? expression : null;
  } catch {
    return null;
  }
}
