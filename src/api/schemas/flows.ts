import { z } from "@hono/zod-openapi";
import { EXECUTION_STRATEGIES, JOB_STATUSES } from "../../core/types.js";
import { ConnectionInfoSchema, FlowViewSchema, RoutineInfoSchema } from "../../service/flow-service.js";
import { FlowIdParams, Id, named, pathId, urlInteger } from "./common.js";

const routineExample = {
  routine_id: "transformer",
  class_name: "DemoTransformer",
  slots: ["input"],
  events: ["output"],
  config: {},
};
const connectionExample = {
  connection_id: "conn_1",
  source_routine: "validator",
  source_event: "valid",
  target_routine: "transformer",
  target_slot: "input",
  param_mapping: null,
};

export const RoutineInfo = named(RoutineInfoSchema, "RoutineInfo", {
  description: "A routine instance of a flow, with the slots and events of its type",
  example: routineExample,
});

export const ConnectionInfo = named(ConnectionInfoSchema, "ConnectionInfo", {
  description:
    "`source_routine.source_event` → `target_routine.target_slot`; `connection_id` is `conn_<index>`",
  example: connectionExample,
});

// The service's FlowView, with its routines and connections pointing at the named schemas above.
const FlowWithRefs = FlowViewSchema.extend({
  routines: z.record(z.string(), RoutineInfo),
  connections: z.array(ConnectionInfo),
});

export const Flow = named(FlowWithRefs, "Flow", {
  example: {
    flow_id: "linear_flow",
    routines: { transformer: routineExample },
    connections: [connectionExample],
    execution_strategy: "sequential",
    max_workers: 5,
    created_at: "2026-01-15T08:30:00.123Z",
    updated_at: "2026-01-15T08:30:00.123Z",
  },
});

export const FlowList = z
  .object({ flows: z.array(Flow), total: z.number().int().openapi({ example: 4 }) })
  .openapi("FlowList");

export const CreateFlowBody = z
  .object({
    flow_id: Id.optional().openapi({
      description: "Overrides the DSL's `flow_id`; generated when absent everywhere",
    }),
    dsl: z.string().optional().openapi({
      description: "The flow DSL as YAML or JSON text; wins over `dsl_dict`",
      example:
        "routines:\n  source: {class: DemoSource}\n  sink: {class: DemoSink}\nconnections:\n  - {from: source.output, to: sink.input}\n",
    }),
    dsl_dict: z
      .record(z.string(), z.unknown())
      .optional()
      .openapi({ description: "The flow DSL as a JSON object" }),
    execution_strategy: z
      .enum(EXECUTION_STRATEGIES)
      .optional()
      .openapi({ description: "Default `sequential`" }),
    max_workers: z.number().int().min(1).max(1024).optional().openapi({ description: "Default 5" }),
  })
  .openapi("CreateFlow", { description: "Neither `dsl` nor `dsl_dict`: an empty flow" });

export const DslQuery = z.object({
  format: z
    .enum(["yaml", "json"])
    .default("yaml")
    .openapi({ param: { name: "format", in: "query" } }),
});

export const DslExport = z
  .object({ format: z.enum(["yaml", "json"]), dsl: z.string() })
  .openapi("FlowDsl", { example: { format: "yaml", dsl: "flow_id: linear_flow\nroutines: …" } });

export const FlowValidation = z
  .object({
    valid: z
      .boolean()
      .openapi({ description: "False only when there are errors; warnings never invalidate" }),
    issues: z.array(z.string()).openapi({ description: "Errors, then warnings" }),
    errors: z.array(z.string()),
    warnings: z.array(z.string()),
  })
  .openapi("FlowValidation", {
    example: {
      valid: true,
      issues: ["routine 'validator': event 'invalid' has no listener"],
      errors: [],
      warnings: ["routine 'validator': event 'invalid' has no listener"],
    },
  });

export const RoutineMap = z.record(z.string(), RoutineInfo).openapi("RoutineMap", {
  description: "The flow's routines by routine id",
});

export const RoutineIdParams = FlowIdParams.extend({ routine_id: pathId("routine_id", "transformer") });

export const AddRoutineQuery = z.object({
  routine_id: Id.openapi({ param: { name: "routine_id", in: "query" }, example: "shouter" }),
  class_path: z
    .string()
    .min(1)
    .max(200)
    .openapi({
      param: {
        name: "class_path",
        in: "query",
        description: "A registered routine type name (never a module path)",
      },
      example: "DemoTransformer",
    }),
});

export const RoutineConfigBody = z
  .record(z.string(), z.unknown())
  .openapi("RoutineConfig", { description: "The routine's config (optional)", example: { times: 3 } });

export const RoutineAdded = z
  .object({ routine_id: z.string(), status: z.literal("added") })
  .openapi("RoutineAdded", { example: { routine_id: "shouter", status: "added" } });

const name = (param: string, example: string) =>
  z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: param, in: "query" }, example });

export const ConnectQuery = z.object({
  source_routine: Id.openapi({ param: { name: "source_routine", in: "query" }, example: "validator" }),
  source_event: name("source_event", "valid"),
  target_routine: Id.openapi({ param: { name: "target_routine", in: "query" }, example: "transformer" }),
  target_slot: name("target_slot", "input"),
});

export const ParamMappingBody = z.record(z.string(), z.string()).openapi("ParamMapping", {
  description: "`{event_param: slot_param}`: renames payload keys on the way into the slot (optional)",
  example: { result: "data" },
});

export const Connected = z
  .object({ status: z.literal("connected"), connection_id: z.string() })
  .openapi("Connected", { example: { status: "connected", connection_id: "conn_3" } });

export const ConnectionIndexParams = FlowIdParams.extend({
  connection_index: urlInteger(0).openapi({
    param: { name: "connection_index", in: "path", required: true },
    example: 0,
  }),
});

export const FlowMetrics = z
  .object({
    flow_id: z.string(),
    total_jobs: z.number().int(),
    completed_jobs: z.number().int(),
    failed_jobs: z.number().int(),
    job_metrics: z.array(
      z.object({
        job_id: z.string(),
        duration: z.number().nullable().openapi({ description: "Seconds; null until the job finished" }),
        status: z.enum(JOB_STATUSES),
      }),
    ),
  })
  .openapi("FlowMetrics", {
    example: {
      flow_id: "linear_flow",
      total_jobs: 2,
      completed_jobs: 1,
      failed_jobs: 1,
      job_metrics: [{ job_id: "0b6f6a3e-8d9c-4b8e-9a51-2f0e5c1d7a42", duration: 0.012, status: "completed" }],
    },
  });
