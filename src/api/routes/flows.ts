import { createRoute } from "@hono/zod-openapi";
import { dryRun } from "../../core/dry-run.js";
import { rejectDuplicateKeys } from "../../dsl/read-document.js";
import type { RouterDeps } from "../deps.js";
import { ApiError } from "../errors.js";
import { router } from "../router.js";
import { errors, FlowIdParams, json, jsonBody, optionalJsonBody } from "../schemas/common.js";
import { DryRunBody, DryRunResult } from "../schemas/debug.js";
import {
  AddRoutineQuery,
  Connected,
  ConnectionIndexParams,
  ConnectionInfo,
  ConnectQuery,
  CreateFlowBody,
  DslExport,
  DslQuery,
  Flow,
  FlowList,
  FlowMetrics,
  FlowValidation,
  ParamMappingBody,
  RoutineAdded,
  RoutineConfigBody,
  RoutineIdParams,
  RoutineMap,
} from "../schemas/flows.js";

const tags = ["flows"];

const listFlows = createRoute({
  method: "get",
  path: "/api/flows",
  tags,
  summary: "List flows",
  responses: { 200: json(FlowList, "Every flow"), ...errors() },
});

const createFlow = createRoute({
  method: "post",
  path: "/api/flows",
  tags,
  summary: "Create a flow",
  description:
    "From DSL text (`dsl`, YAML or JSON) or a DSL object (`dsl_dict`); neither gives an empty flow.",
  request: { body: jsonBody(CreateFlowBody, "The flow to create") },
  responses: {
    201: json(Flow, "The new flow"),
    ...errors({
      400: "The DSL is invalid; `details.issues` name the routine or connection",
      409: "Flow exists",
    }),
  },
});

const getFlow = createRoute({
  method: "get",
  path: "/api/flows/{flow_id}",
  tags,
  summary: "Get one flow",
  request: { params: FlowIdParams },
  responses: { 200: json(Flow, "The flow"), ...errors({ 404: "No such flow" }) },
});

const deleteFlow = createRoute({
  method: "delete",
  path: "/api/flows/{flow_id}",
  tags,
  summary: "Delete a flow",
  request: { params: FlowIdParams },
  responses: { 204: { description: "Deleted" }, ...errors({ 404: "No such flow" }) },
});

const exportDsl = createRoute({
  method: "get",
  path: "/api/flows/{flow_id}/dsl",
  tags,
  summary: "Export a flow as DSL",
  description: "Importing the export gives back the same flow, error handlers included.",
  request: { params: FlowIdParams, query: DslQuery },
  responses: { 200: json(DslExport, "The DSL text"), ...errors({ 404: "No such flow" }) },
});

const validateRoute = (method: "get" | "post") =>
  createRoute({
    method,
    path: "/api/flows/{flow_id}/validate",
    tags,
    summary: "Validate a flow",
    description: "Errors make a flow invalid; warnings (unconnected events or slots, cycles) never do.",
    request: { params: FlowIdParams },
    responses: { 200: json(FlowValidation, "The verdict"), ...errors({ 404: "No such flow" }) },
  });

const listRoutines = createRoute({
  method: "get",
  path: "/api/flows/{flow_id}/routines",
  tags,
  summary: "List a flow's routines",
  request: { params: FlowIdParams },
  responses: { 200: json(RoutineMap, "Routines by id"), ...errors({ 404: "No such flow" }) },
});

const addRoutine = createRoute({
  method: "post",
  path: "/api/flows/{flow_id}/routines",
  tags,
  summary: "Add a routine to a flow",
  request: {
    params: FlowIdParams,
    query: AddRoutineQuery,
    body: optionalJsonBody(RoutineConfigBody, "The routine's config"),
  },
  responses: {
    200: json(RoutineAdded, "Added"),
    ...errors({
      400: "Unknown routine type or invalid config",
      404: "No such flow",
      409: "Routine id taken",
    }),
  },
});

const removeRoutine = createRoute({
  method: "delete",
  path: "/api/flows/{flow_id}/routines/{routine_id}",
  tags,
  summary: "Remove a routine (and its connections)",
  request: { params: RoutineIdParams },
  responses: { 204: { description: "Removed" }, ...errors({ 404: "No such flow or routine" }) },
});

const listConnections = createRoute({
  method: "get",
  path: "/api/flows/{flow_id}/connections",
  tags,
  summary: "List a flow's connections",
  request: { params: FlowIdParams },
  responses: {
    200: json(ConnectionInfo.array(), "Connections in order"),
    ...errors({ 404: "No such flow" }),
  },
});

const connect = createRoute({
  method: "post",
  path: "/api/flows/{flow_id}/connections",
  tags,
  summary: "Connect an event to a slot",
  request: {
    params: FlowIdParams,
    query: ConnectQuery,
    body: optionalJsonBody(ParamMappingBody, "Payload keys to rename on the way in"),
  },
  responses: {
    200: json(Connected, "Connected"),
    ...errors({ 400: "Unknown event or slot", 404: "No such flow or routine" }),
  },
});

const disconnect = createRoute({
  method: "delete",
  path: "/api/flows/{flow_id}/connections/{connection_index}",
  tags,
  summary: "Remove a connection",
  description: "Later connections move up one place (`conn_<index>` follows the position).",
  request: { params: ConnectionIndexParams },
  responses: { 204: { description: "Removed" }, ...errors({ 404: "No such flow, or index out of range" }) },
});

const flowMetrics = createRoute({
  method: "get",
  path: "/api/flows/{flow_id}/metrics",
  tags: ["flows", "monitoring"],
  summary: "Job counts and durations of a flow",
  request: { params: FlowIdParams },
  responses: { 200: json(FlowMetrics, "The flow's job metrics"), ...errors({ 404: "No such flow" }) },
});

const dryRunFlow = createRoute({
  method: "post",
  path: "/api/flows/{flow_id}/dry-run",
  tags: ["flows", "debug"],
  summary: "Run a flow without effects",
  description:
    "Validates the flow, then runs it in memory: `mocks` stand in for chosen routines, routines with side " +
    "effects are stubbed, `max_steps` caps the deliveries. Creates no job and persists nothing.",
  request: {
    params: FlowIdParams,
    body: jsonBody(DryRunBody, "Where to start, with what, and what to mock"),
  },
  responses: {
    200: json(DryRunResult, "The trace and outputs (`valid: false` with the issues for an invalid flow)"),
    ...errors({ 400: "A mock names a routine the flow does not have", 404: "No such flow or entry routine" }),
  },
});

export const flowRoutes = ({ flows, jobs, registry }: RouterDeps) =>
  router()
    .openapi(listFlows, async (c) => {
      const all = await flows.list();
      return c.json({ flows: all, total: all.length }, 200);
    })
    .openapi(createFlow, async (c) => {
      const body = c.req.valid("json");
      // The body's parser kept the last of a repeated key; `dsl_dict` is a flow document, where that is an error.
      if (body.dsl === undefined && body.dsl_dict !== undefined)
        rejectDuplicateKeys(await c.req.text(), ["dsl_dict"]);
      return c.json(await flows.create(body), 201);
    })
    .openapi(getFlow, async (c) => c.json(await flows.get(c.req.valid("param").flow_id), 200))
    .openapi(deleteFlow, async (c) => {
      await flows.delete(c.req.valid("param").flow_id);
      return c.body(null, 204);
    })
    .openapi(exportDsl, async (c) => {
      const { format } = c.req.valid("query");
      return c.json({ format, dsl: await flows.exportDsl(c.req.valid("param").flow_id, format) }, 200);
    })
    .openapi(validateRoute("post"), async (c) =>
      c.json(verdict(await flows.validate(c.req.valid("param").flow_id)), 200),
    )
    .openapi(validateRoute("get"), async (c) =>
      c.json(verdict(await flows.validate(c.req.valid("param").flow_id)), 200),
    )
    .openapi(listRoutines, async (c) => c.json((await flows.get(c.req.valid("param").flow_id)).routines, 200))
    .openapi(addRoutine, async (c) => {
      const { routine_id, class_path } = c.req.valid("query");
      await flows.addRoutine(c.req.valid("param").flow_id, routine_id, class_path, c.req.valid("json"));
      return c.json({ routine_id, status: "added" as const }, 200);
    })
    .openapi(removeRoutine, async (c) => {
      const { flow_id, routine_id } = c.req.valid("param");
      await flows.removeRoutine(flow_id, routine_id);
      return c.body(null, 204);
    })
    .openapi(listConnections, async (c) =>
      c.json((await flows.get(c.req.valid("param").flow_id)).connections, 200),
    )
    .openapi(connect, async (c) => {
      const mapping = c.req.valid("json");
      const connection = await flows.connect(c.req.valid("param").flow_id, {
        ...c.req.valid("query"),
        // No body and `{}` both mean "no renaming", which the contract spells `param_mapping: null`.
        param_mapping: Object.keys(mapping).length > 0 ? mapping : null,
      });
      return c.json({ status: "connected" as const, connection_id: connection.connection_id }, 200);
    })
    .openapi(disconnect, async (c) => {
      const { flow_id, connection_index } = c.req.valid("param");
      await flows.disconnect(flow_id, connection_index);
      return c.body(null, 204);
    })
    .openapi(flowMetrics, async (c) => c.json(await jobs.flowMetrics(c.req.valid("param").flow_id), 200))
    .openapi(dryRunFlow, async (c) => {
      if (!registry)
        throw new ApiError("NOT_FOUND", 404, "This server runs without dry-run (no routine registry)");
      const definition = await flows.definition(c.req.valid("param").flow_id);
      return c.json(await dryRun(definition, registry, c.req.valid("json")), 200);
    });

/** The contract's `issues` is every finding, errors first. */
const verdict = (v: { valid: boolean; errors: string[]; warnings: string[] }) => ({
  valid: v.valid,
  issues: [...v.errors, ...v.warnings],
  errors: v.errors,
  warnings: v.warnings,
});
