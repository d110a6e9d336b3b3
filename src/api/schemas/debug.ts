import { z } from "@hono/zod-openapi";
import { BreakpointCreateSchema, BreakpointSchema, breakpointTargetIssue } from "../../core/breakpoints.js";
import { compileLogMessage } from "../../core/debugger.js";
import { DryRunRequestSchema, DryRunResultSchema } from "../../core/dry-run.js";
import { compile, ExpressionError } from "../../expr/index.js";
import { DebugSessionSchema, EvaluationSchema } from "../../service/debug-service.js";
import { Id, JobIdParams, named, pathId } from "./common.js";

const JOB_ID = "0b6f6a3e-8d9c-4b8e-9a51-2f0e5c1d7a42";

type FieldMetadata = { description: string; example?: unknown };

/** `.openapi(metadata)` on a field of a core schema, called through the prototype for the reason `named` gives. */
const documented = <T extends z.ZodType>(schema: T, metadata: FieldMetadata): T =>
  (z.ZodType.prototype.openapi as (this: T, metadata: FieldMetadata) => T).call(schema, metadata);

// ------------------------------------------------------------------------------------------- breakpoints

const breakpointExample = {
  breakpoint_id: "bp_1a2b3c4d",
  job_id: JOB_ID,
  type: "slot",
  routine_id: "transformer",
  slot_name: "input",
  event_name: null,
  condition: "index >= 2",
  enabled: true,
  hit_count: 1,
  hit_condition: null,
  log_message: null,
};

export const Breakpoint = named(BreakpointSchema, "Breakpoint", {
  description:
    "Checked before a routine's slot handler runs (`routine`, `slot`) or when an event is emitted (`event`). " +
    "`hit_count` counts the times its condition held",
  example: breakpointExample,
});

/** The message of an expression that does not compile, with its position (a parse error already says it). */
function expressionIssue(error: ExpressionError): string {
  const { message, position } = error;
  return position === undefined || /at character \d+/.test(message)
    ? message
    : `${message} at character ${position}`;
}

/**
 * A breakpoint is refused at creation rather than failing silently later: it must name its target, and its
 * condition and the `{expression}` parts of its log message must parse (docs/conditional-breakpoints.md).
 */
function checkBreakpoint(create: z.output<typeof BreakpointCreateSchema>, ctx: z.RefinementCtx): void {
  const target = breakpointTargetIssue(create);
  if (target) ctx.addIssue({ code: "custom", path: [target.path], message: target.message });
  const expressions: [field: "condition" | "log_message", check: (source: string) => unknown][] = [
    ["condition", compile],
    ["log_message", compileLogMessage],
  ];
  for (const [field, check] of expressions) {
    const source = create[field];
    if (!source) continue;
    try {
      check(source);
    } catch (error) {
      if (!(error instanceof ExpressionError)) throw error;
      ctx.addIssue({ code: "custom", path: [field], message: expressionIssue(error) });
    }
  }
}

const core = BreakpointCreateSchema.shape;

export const BreakpointCreateBody = named(
  BreakpointCreateSchema.extend({
    type: documented(core.type, {
      description: "`routine`: any slot of the routine; `slot`: one slot; `event`: an emitted event",
    }),
    routine_id: documented(core.routine_id, {
      description: "Required for `routine` and `slot`; narrows an `event` breakpoint to one emitter",
    }),
    slot_name: documented(core.slot_name, { description: "Required for `slot`" }),
    event_name: documented(core.event_name, { description: "Required for `event`" }),
    condition: documented(core.condition, {
      description:
        "An expression (docs/expressions.md) over the payload's fields and `payload`, `routine_id`, " +
        "`slot_name`, `event_name`, `job`, `shared`. Refused with 422 when it does not parse; an error while " +
        "evaluating counts as false and is reported once as a `breakpoint_error` event",
      example: "index >= 2",
    }),
    enabled: documented(core.enabled, { description: "Default true" }),
    hit_condition: documented(core.hit_condition, {
      description: "Beyond the contract: pause only when the hit count satisfies it (`== 3`, `>= 2`, `% 5`)",
      example: ">= 2",
    }),
    log_message: documented(core.log_message, {
      description:
        "Beyond the contract: a logpoint. Records a `log` event with `{expression}` parts rendered, never pauses",
      example: "item {index}: {upper(data)}",
    }),
  }).superRefine(checkBreakpoint),
  "BreakpointCreate",
  {
    example: { type: "slot", routine_id: "transformer", slot_name: "input", condition: "index >= 2" },
  },
);

export const BreakpointIdParams = JobIdParams.extend({
  breakpoint_id: pathId("breakpoint_id", "bp_1a2b3c4d"),
});

export const BreakpointList = z
  .object({ breakpoints: z.array(Breakpoint), total: z.number().int() })
  .openapi("BreakpointList", { example: { breakpoints: [breakpointExample], total: 1 } });

export const BreakpointToggleQuery = z.object({
  enabled: z
    .enum(["true", "false"])
    .optional()
    .openapi({
      param: {
        name: "enabled",
        in: "query",
        description: "The new state; a JSON body `{enabled}` also works",
      },
      example: "false",
    }),
});

export const BreakpointToggleBody = z
  .object({ enabled: z.boolean().optional() })
  .openapi("BreakpointToggle", {
    description: "Used when the query has no `enabled`",
    example: { enabled: false },
  });

// ------------------------------------------------------------------------------------------------- debug

export const DebugSession = named(DebugSessionSchema, "DebugSession", {
  description:
    'The job\'s debug session; `{status: "no_session", job_id}` once the job has finished. `paused_at` is set ' +
    "while paused",
  example: {
    session_id: `dbg_${JOB_ID}`,
    job_id: JOB_ID,
    status: "paused",
    paused_at: {
      routine_id: "transformer",
      slot_name: "input",
      event_name: null,
      breakpoint_id: "bp_1a2b3c4d",
    },
    call_stack_depth: 3,
  },
});

export const STEP_MODES = ["over", "into"] as const;

export const Stepping = z
  .object({ status: z.literal("stepping"), job_id: z.string(), step_mode: z.enum(STEP_MODES) })
  .openapi("Stepping", { example: { status: "stepping", job_id: JOB_ID, step_mode: "over" } });

export const VariablesQuery = z.object({
  routine_id: Id.optional().openapi({
    param: {
      name: "routine_id",
      in: "query",
      description: "Another routine's state instead of the paused payload",
    },
    example: "transformer",
  }),
});

export const Variables = z
  .object({
    job_id: z.string(),
    routine_id: z.string().nullable(),
    variables: z.record(z.string(), z.unknown()).openapi({ description: "A JSON snapshot" }),
  })
  .openapi("DebugVariables", {
    example: { job_id: JOB_ID, routine_id: "transformer", variables: { data: "hello", index: 2 } },
  });

// Own-property names only: these would read as prototype plumbing to anyone who looks at the payload later.
const FORBIDDEN_VARIABLE_NAMES = new Set(["__proto__", "prototype", "constructor"]);

export const VariableParams = JobIdParams.extend({
  name: z
    .string()
    .min(1)
    .max(256)
    .refine((name) => !FORBIDDEN_VARIABLE_NAMES.has(name), { message: "is not a settable name" })
    .openapi({
      param: { name: "name", in: "path" },
      example: "data",
      description: "A field of the paused payload",
    }),
});

export const SetVariableBody = z
  .object({ value: z.unknown().openapi({ description: "Any JSON value", example: "world" }) })
  .refine((body) => body.value !== undefined, { path: ["value"], message: "Required" })
  .openapi("SetVariable");

export const VariableSet = z
  .object({ job_id: z.string(), variable: z.string(), value: z.unknown() })
  .openapi("VariableSet", { example: { job_id: JOB_ID, variable: "data", value: "world" } });

export const CallFrame = z
  .object({
    routine_id: z.string(),
    slot_name: z.string(),
    event_name: z.string().nullable().openapi({
      description: "The event that produced this delivery; in a frame paused at an emit, the event emitted",
    }),
    variables: z.array(z.string()).openapi({ description: "Names of the payload's fields" }),
  })
  .openapi("CallFrame");

export const CallStack = z
  .object({
    job_id: z.string(),
    call_stack: z.array(CallFrame).openapi({ description: "The paused point first, then what caused it" }),
  })
  .openapi("CallStack", {
    example: {
      job_id: JOB_ID,
      call_stack: [
        { routine_id: "transformer", slot_name: "input", event_name: "valid", variables: ["data", "index"] },
        { routine_id: "validator", slot_name: "input", event_name: "output", variables: ["data", "index"] },
        { routine_id: "source", slot_name: "trigger", event_name: null, variables: ["data", "count"] },
      ],
    },
  });

export const EvaluateBody = z
  .object({
    expression: z.string().min(1).max(4096).openapi({ example: "index * 10" }),
    routine_id: Id.optional().openapi({
      description: "Evaluate in the innermost frame of this routine (at or below `frame_index`)",
    }),
    frame_index: z
      .number()
      .int()
      .min(0)
      .default(0)
      .openapi({ description: "0 is the paused point; each step up is what caused it" }),
  })
  .openapi("Evaluate");

export const Evaluation = named(EvaluationSchema, "Evaluation", {
  description:
    "`{result, type, error: null}`, or `{result: null, type: null, error}` when the expression fails",
  example: { result: 20, type: "number", error: null },
});

// ----------------------------------------------------------------------------------------------- dry-run

export const DryRunBody = named(DryRunRequestSchema, "DryRun", {
  description:
    "Mocked routines do not run: each delivery to one emits the given events with the given payloads. Routines " +
    "with side effects (HTTP fetch, delay) are stubbed and listed in `would_call`",
  example: {
    entry_routine_id: "source",
    entry_params: { data: "hello", count: 2 },
    mocks: { validator: { valid: { data: "mocked", index: 0 } } },
    max_steps: 1000,
  },
});

export const DryRunResult = named(DryRunResultSchema, "DryRunResult", {
  description: "The trace (the events a real job would log), the job's shared data, and nothing persisted",
  example: {
    valid: true,
    trace: [{ seq: 1, type: "job_started", flow_id: "linear_flow", entry_routine_id: "source" }],
    outputs: { results: [{ result: "HELLO", index: 0 }] },
    would_call: [],
    issues: [],
  },
});
