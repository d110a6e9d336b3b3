import { FlowInvalidError } from "../core/errors.js";
import {
  type Connection,
  type FlowDefinition,
  FlowDefinitionSchema,
  type RoutineInstance,
  validateFlow,
} from "../core/flow.js";
import type { RoutineRegistry } from "../core/routine.js";
import { describeZodIssues } from "./issues.js";
import { DEFAULT_DSL_LIMITS, type DslLimits, readDslText, requireDslDocument } from "./read-document.js";
import { FlowDslDocumentSchema, ID_PATTERN, type ParsedFlowDslDocument, parseEndpoint } from "./schema.js";

export interface ParseFlowDslOptions {
  /** ISO-8601 timestamp for `created_at` and `updated_at`; they are not part of the DSL. */
  now: string;
  /** Wins over the document's `flow_id` (the API's body `flow_id` overrides the DSL's). */
  flow_id?: string;
  /** Called only when neither `flow_id` nor the document names the flow; without it that is an error. */
  generateId?: () => string;
  /** Bounds on untrusted input; defaults in DEFAULT_DSL_LIMITS. */
  limits?: Partial<DslLimits>;
}

/**
 * Reads a DSL document — YAML or JSON text, or an already-parsed object — into a FlowDefinition.
 * Checks only what the document alone can tell (shape, ids, `from`/`to` syntax, connections to routines that
 * exist); whether `class` names a registered type with that event or slot is `parseAndValidateFlowDsl`'s job.
 * Throws FlowInvalidError whose issues name the routine or connection at fault.
 */
export function parseFlowDsl(input: unknown, options: ParseFlowDslOptions): FlowDefinition {
  const limits: DslLimits = { ...DEFAULT_DSL_LIMITS, ...options.limits };
  const raw = typeof input === "string" ? readDslText(input, limits) : requireDslDocument(input, limits);
  const parsed = FlowDslDocumentSchema.safeParse(raw);
  if (!parsed.success) throw new FlowInvalidError(describeZodIssues(parsed.error.issues));
  return toFlowDefinition(parsed.data, flowIdFor(parsed.data, options), options.now);
}

export interface ValidatedFlow {
  flow: FlowDefinition;
  /** `validateFlow` warnings (unconnected events or slots, cycles); they never make a flow invalid. */
  warnings: string[];
}

/** parseFlowDsl, then `validateFlow` against the registry; throws FlowInvalidError on any error. */
export function parseAndValidateFlowDsl(
  input: unknown,
  registry: RoutineRegistry,
  options: ParseFlowDslOptions,
): ValidatedFlow {
  const flow = parseFlowDsl(input, options);
  const { errors, warnings } = validateFlow(flow, registry);
  if (errors.length > 0) throw new FlowInvalidError(errors);
  return { flow, warnings };
}

function flowIdFor(doc: ParsedFlowDslDocument, options: ParseFlowDslOptions): string {
  const flow_id = options.flow_id ?? doc.flow_id ?? options.generateId?.();
  if (flow_id === undefined) {
    throw new FlowInvalidError(["flow_id is missing: name the flow in the document or pass a flow_id"]);
  }
  if (!ID_PATTERN.test(flow_id)) throw new FlowInvalidError([`flow_id '${flow_id}' is not a valid id`]);
  return flow_id;
}

function toFlowDefinition(doc: ParsedFlowDslDocument, flow_id: string, now: string): FlowDefinition {
  const routines: Record<string, RoutineInstance> = Object.fromEntries(
    Object.entries(doc.routines).map(([routine_id, routine]) => [
      routine_id,
      {
        class_name: routine.class,
        // A copy, so the flow owns its config: the caller's object (or YAML anchors shared between
        // routines) can change later without changing the flow.
        config: structuredClone(routine.config ?? {}),
        error_handler: routine.error_handler ?? null,
      },
    ]),
  );
  const connections = doc.connections.map((conn): Connection => {
    // The schema has already checked both endpoints.
    const from = parseEndpoint(conn.from)!;
    const to = parseEndpoint(conn.to)!;
    return {
      source_routine: from.routine,
      source_event: from.port,
      target_routine: to.routine,
      target_slot: to.port,
      param_mapping: conn.param_mapping ? { ...conn.param_mapping } : null,
    };
  });
  const dangling = danglingReferences(routines, connections);
  if (dangling.length > 0) throw new FlowInvalidError(dangling);
  // Absent execution fields take core's defaults, so there is one place that says what a flow defaults to.
  return FlowDefinitionSchema.parse({
    flow_id,
    routines,
    connections,
    execution_strategy: doc.execution?.strategy,
    max_workers: doc.execution?.max_workers,
    timeout: doc.execution?.timeout,
    created_at: now,
    updated_at: now,
  });
}

/** Same wording as validateFlow, which reports the same fault for flows built through the API. */
function danglingReferences(routines: Record<string, RoutineInstance>, connections: Connection[]): string[] {
  const issues: string[] = [];
  connections.forEach((conn, index) => {
    if (!Object.hasOwn(routines, conn.source_routine)) {
      issues.push(`connection ${index}: unknown source routine '${conn.source_routine}'`);
    }
    if (!Object.hasOwn(routines, conn.target_routine)) {
      issues.push(`connection ${index}: unknown target routine '${conn.target_routine}'`);
    }
  });
  return issues;
}
