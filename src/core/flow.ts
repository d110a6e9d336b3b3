import { z } from "zod";
import { NotFoundError } from "./errors.js";
import type { RoutineRegistry } from "./routine.js";
import { MAX_JOB_TIMEOUT_SECONDS } from "./timers.js";
import { ERROR_STRATEGIES, EXECUTION_STRATEGIES } from "./types.js";

export const ErrorHandlerSchema = z.object({
  strategy: z.enum(ERROR_STRATEGIES),
  max_retries: z.number().int().min(0).max(100).default(3),
  /** Seconds before the first retry. */
  retry_delay: z.number().min(0).max(3600).default(1),
  /** Multiplier applied to the delay after each retry. */
  retry_backoff: z.number().min(1).max(100).default(2),
});
export type ErrorHandler = z.infer<typeof ErrorHandlerSchema>;

export const RoutineInstanceSchema = z.object({
  class_name: z.string(),
  config: z.record(z.string(), z.unknown()).default({}),
  error_handler: ErrorHandlerSchema.nullable().default(null),
});
export type RoutineInstance = z.infer<typeof RoutineInstanceSchema>;

export const ConnectionSchema = z.object({
  source_routine: z.string(),
  source_event: z.string(),
  target_routine: z.string(),
  target_slot: z.string(),
  /** `{event_param: slot_param}`: renames payload keys on the way in; unmapped keys pass through. */
  param_mapping: z.record(z.string(), z.string()).nullable().default(null),
});
export type Connection = z.infer<typeof ConnectionSchema>;

/** A flow as stored and served: plain data, resolved against a RoutineRegistry only when a job starts. */
export const FlowDefinitionSchema = z.object({
  flow_id: z.string(),
  routines: z.record(z.string(), RoutineInstanceSchema),
  connections: z.array(ConnectionSchema),
  execution_strategy: z.enum(EXECUTION_STRATEGIES).default("sequential"),
  max_workers: z.number().int().min(1).max(1024).default(5),
  /** Seconds, at most 30 days; null for none. */
  timeout: z.number().positive().max(MAX_JOB_TIMEOUT_SECONDS).nullable().default(null),
  created_at: z.string(),
  updated_at: z.string(),
});
export type FlowDefinition = z.infer<typeof FlowDefinitionSchema>;

export interface FlowValidation {
  valid: boolean;
  errors: string[];
  warnings: string[];
}

/**
 * Errors make a flow unusable (unknown type, event or slot, dangling ids, bad config);
 * warnings never do (unreachable routines, events nobody listens to, unconnected slots, cycles).
 */
export function validateFlow(flow: FlowDefinition, registry: RoutineRegistry): FlowValidation {
  const errors: string[] = [];
  const warnings: string[] = [];

  for (const [routineId, instance] of Object.entries(flow.routines)) {
    if (!registry.has(instance.class_name)) {
      errors.push(`routine '${routineId}': unknown type '${instance.class_name}'`);
      continue;
    }
    const parsed = registry.get(instance.class_name).config.safeParse(instance.config);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      const where = first?.path.length ? ` at '${first.path.join(".")}'` : "";
      errors.push(`routine '${routineId}': invalid config${where}: ${first?.message ?? "invalid"}`);
    }
  }

  flow.connections.forEach((conn, index) => {
    const source = flow.routines[conn.source_routine];
    const target = flow.routines[conn.target_routine];
    const at = `connection ${index}`;
    if (!source) errors.push(`${at}: unknown source routine '${conn.source_routine}'`);
    else if (
      registry.has(source.class_name) &&
      !registry.get(source.class_name).events.includes(conn.source_event)
    ) {
      errors.push(`${at}: routine '${conn.source_routine}' has no event '${conn.source_event}'`);
    }
    if (!target) errors.push(`${at}: unknown target routine '${conn.target_routine}'`);
    else if (
      registry.has(target.class_name) &&
      !(conn.target_slot in registry.get(target.class_name).slots)
    ) {
      errors.push(`${at}: routine '${conn.target_routine}' has no slot '${conn.target_slot}'`);
    }
  });

  if (errors.length === 0) warnings.push(...flowWarnings(flow, registry));
  return { valid: errors.length === 0, errors, warnings };
}

function flowWarnings(flow: FlowDefinition, registry: RoutineRegistry): string[] {
  const warnings: string[] = [];
  const incoming = new Set(flow.connections.map((c) => `${c.target_routine}.${c.target_slot}`));
  const outgoing = new Set(flow.connections.map((c) => `${c.source_routine}.${c.source_event}`));
  const hasIncoming = new Set(flow.connections.map((c) => c.target_routine));

  for (const [routineId, instance] of Object.entries(flow.routines)) {
    const type = registry.get(instance.class_name);
    for (const event of type.events) {
      if (!outgoing.has(`${routineId}.${event}`))
        warnings.push(`routine '${routineId}': event '${event}' has no listener`);
    }
    for (const slot of Object.keys(type.slots)) {
      if (slot === "trigger") continue;
      if (!incoming.has(`${routineId}.${slot}`))
        warnings.push(`routine '${routineId}': slot '${slot}' is not connected`);
    }
    if (!hasIncoming.has(routineId) && !("trigger" in type.slots)) {
      warnings.push(`routine '${routineId}': unreachable (no incoming connection and no 'trigger' slot)`);
    }
  }
  for (const cycle of findCycles(flow)) warnings.push(`cycle: ${cycle.join(" -> ")}`);
  return warnings;
}

/** One representative cycle per strongly connected group, found by depth-first search. */
function findCycles(flow: FlowDefinition): string[][] {
  const next = new Map<string, Set<string>>();
  for (const c of flow.connections) {
    if (!next.has(c.source_routine)) next.set(c.source_routine, new Set());
    next.get(c.source_routine)!.add(c.target_routine);
  }
  const cycles: string[][] = [];
  const done = new Set<string>();
  const onPath: string[] = [];
  const visit = (node: string): void => {
    const at = onPath.indexOf(node);
    if (at >= 0) {
      cycles.push([...onPath.slice(at), node]);
      return;
    }
    if (done.has(node)) return;
    onPath.push(node);
    for (const target of next.get(node) ?? []) visit(target);
    onPath.pop();
    done.add(node);
  };
  for (const routineId of Object.keys(flow.routines)) visit(routineId);
  return cycles;
}

export function connectionId(index: number): string {
  return `conn_${index}`;
}

export function requireRoutine(flow: FlowDefinition, routineId: string): void {
  if (!(routineId in flow.routines)) throw new NotFoundError("routine", routineId);
}
