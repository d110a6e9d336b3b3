import { z } from "zod";
import type { FlowDefinition, FlowValidation } from "../core/flow.js";
import { EXECUTION_STRATEGIES, type ExecutionStrategy, type JsonObject } from "../core/types.js";

export const RoutineInfoSchema = z.object({
  routine_id: z.string(),
  class_name: z.string(),
  slots: z.array(z.string()),
  events: z.array(z.string()),
  config: z.record(z.string(), z.unknown()),
});
export type RoutineInfo = z.infer<typeof RoutineInfoSchema>;

export const ConnectionInfoSchema = z.object({
  connection_id: z.string(),
  source_routine: z.string(),
  source_event: z.string(),
  target_routine: z.string(),
  target_slot: z.string(),
  param_mapping: z.record(z.string(), z.string()).nullable(),
});
export type ConnectionInfo = z.infer<typeof ConnectionInfoSchema>;

/** A flow as the API shows it. */
export const FlowViewSchema = z.object({
  flow_id: z.string(),
  routines: z.record(z.string(), RoutineInfoSchema),
  connections: z.array(ConnectionInfoSchema),
  execution_strategy: z.enum(EXECUTION_STRATEGIES),
  max_workers: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type FlowView = z.infer<typeof FlowViewSchema>;

export interface CreateFlowRequest {
  flow_id?: string;
  /** YAML or JSON text; wins over `dsl_dict`. */
  dsl?: string;
  dsl_dict?: JsonObject;
  execution_strategy?: ExecutionStrategy;
  max_workers?: number;
}

export interface ConnectRequest {
  source_routine: string;
  source_event: string;
  target_routine: string;
  target_slot: string;
  param_mapping?: Record<string, string> | null;
}

/**
 * Flows: stored as definitions, resolved against the routine registry. Unknown ids throw `NotFoundError`;
 * duplicates `AlreadyExistsError`; a bad DSL or an unknown type/event/slot `FlowInvalidError`.
 */
export interface FlowService {
  list(): Promise<FlowView[]>;
  get(flow_id: string): Promise<FlowView>;
  definition(flow_id: string): Promise<FlowDefinition>;
  create(request: CreateFlowRequest): Promise<FlowView>;
  delete(flow_id: string): Promise<void>;
  exportDsl(flow_id: string, format: "yaml" | "json"): Promise<string>;
  validate(flow_id: string): Promise<FlowValidation>;
  addRoutine(flow_id: string, routine_id: string, class_name: string, config: JsonObject): Promise<void>;
  removeRoutine(flow_id: string, routine_id: string): Promise<void>;
  connect(flow_id: string, request: ConnectRequest): Promise<ConnectionInfo>;
  /** `index` is the position in the connection list (`conn_<index>`). */
  disconnect(flow_id: string, index: number): Promise<void>;
}
