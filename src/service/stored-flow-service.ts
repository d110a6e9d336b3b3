import { type Clock, defaultClock, type IdFactory, newId } from "../core/clock.js";
import { AlreadyExistsError, FlowInvalidError, NotFoundError } from "../core/errors.js";
import {
  connectionId,
  type FlowDefinition,
  type FlowValidation,
  requireRoutine,
  validateFlow,
} from "../core/flow.js";
import type { RoutineRegistry } from "../core/routine.js";
import type { JsonObject } from "../core/types.js";
import { exportFlowDsl, parseFlowDsl } from "../dsl/index.js";
import type {
  ConnectionInfo,
  ConnectRequest,
  CreateFlowRequest,
  FlowService,
  FlowView,
  RoutineInfo,
} from "./flow-service.js";
import type { Store } from "./store.js";

export interface StoredFlowServiceOptions {
  store: Store;
  registry: RoutineRegistry;
  clock?: Clock;
  newId?: IdFactory;
}

/**
 * Flows kept in the store, with a write-through cache of definitions. Definitions are replaced, never mutated,
 * so a running job keeps the definition it started with and compiled flows can be cached by identity.
 */
export class StoredFlowService implements FlowService {
  readonly #store: Store;
  readonly #registry: RoutineRegistry;
  readonly #clock: Clock;
  readonly #newId: IdFactory;
  readonly #cache = new Map<string, FlowDefinition>();

  constructor(options: StoredFlowServiceOptions) {
    this.#store = options.store;
    this.#registry = options.registry;
    this.#clock = options.clock ?? defaultClock;
    this.#newId = options.newId ?? newId;
  }

  /** Saves each flow whose id is not stored yet; a user's flow of the same id is left as it is. */
  async registerDefaults(flows: readonly FlowDefinition[]): Promise<void> {
    for (const flow of flows) {
      if (!(await this.#store.getFlow(flow.flow_id))) await this.#put(flow);
    }
  }

  /** Saves a flow over any flow of the same id (hot reload of flow files). */
  async replace(flow: FlowDefinition): Promise<void> {
    this.#assertValid(flow);
    await this.#put(flow);
  }

  async list(): Promise<FlowView[]> {
    const flows = await this.#store.listFlows();
    for (const flow of flows) if (!this.#cache.has(flow.flow_id)) this.#cache.set(flow.flow_id, flow);
    return flows.map((flow) => this.#view(this.#cache.get(flow.flow_id) ?? flow));
  }

  async get(flow_id: string): Promise<FlowView> {
    return this.#view(await this.definition(flow_id));
  }

  async definition(flow_id: string): Promise<FlowDefinition> {
    const cached = this.#cache.get(flow_id);
    if (cached) return cached;
    const stored = await this.#store.getFlow(flow_id);
    if (!stored) throw new NotFoundError("flow", flow_id);
    this.#cache.set(flow_id, stored);
    return stored;
  }

  async create(request: CreateFlowRequest): Promise<FlowView> {
    const now = this.#clock.iso();
    const source = request.dsl ?? request.dsl_dict;
    const parsed =
      source === undefined
        ? emptyFlow(request.flow_id ?? this.#newId(), now)
        : parseFlowDsl(source, { now, flow_id: request.flow_id, generateId: this.#newId });
    const flow: FlowDefinition = {
      ...parsed,
      execution_strategy: request.execution_strategy ?? parsed.execution_strategy,
      max_workers: request.max_workers ?? parsed.max_workers,
    };
    this.#assertValid(flow);
    if (this.#cache.has(flow.flow_id) || (await this.#store.getFlow(flow.flow_id))) {
      throw new AlreadyExistsError("flow", flow.flow_id);
    }
    await this.#put(flow);
    return this.#view(flow);
  }

  async delete(flow_id: string): Promise<void> {
    await this.definition(flow_id);
    this.#cache.delete(flow_id);
    await this.#store.deleteFlow(flow_id);
  }

  async exportDsl(flow_id: string, format: "yaml" | "json"): Promise<string> {
    return exportFlowDsl(await this.definition(flow_id), format);
  }

  async validate(flow_id: string): Promise<FlowValidation> {
    return validateFlow(await this.definition(flow_id), this.#registry);
  }

  async addRoutine(
    flow_id: string,
    routine_id: string,
    class_name: string,
    config: JsonObject,
  ): Promise<void> {
    const flow = await this.definition(flow_id);
    if (routine_id in flow.routines) throw new AlreadyExistsError("routine", routine_id);
    if (!this.#registry.has(class_name)) {
      throw new FlowInvalidError([`routine '${routine_id}': unknown type '${class_name}'`]);
    }
    const next = {
      ...flow,
      routines: { ...flow.routines, [routine_id]: { class_name, config, error_handler: null } },
    };
    this.#assertValid(next);
    await this.#update(next);
  }

  async removeRoutine(flow_id: string, routine_id: string): Promise<void> {
    const flow = await this.definition(flow_id);
    requireRoutine(flow, routine_id);
    const { [routine_id]: _removed, ...routines } = flow.routines;
    const connections = flow.connections.filter(
      (c) => c.source_routine !== routine_id && c.target_routine !== routine_id,
    );
    await this.#update({ ...flow, routines, connections });
  }

  async connect(flow_id: string, request: ConnectRequest): Promise<ConnectionInfo> {
    const flow = await this.definition(flow_id);
    requireRoutine(flow, request.source_routine);
    requireRoutine(flow, request.target_routine);
    const connection = { ...request, param_mapping: request.param_mapping ?? null };
    const next = { ...flow, connections: [...flow.connections, connection] };
    this.#assertValid(next);
    await this.#update(next);
    return { connection_id: connectionId(next.connections.length - 1), ...connection };
  }

  async disconnect(flow_id: string, index: number): Promise<void> {
    const flow = await this.definition(flow_id);
    if (!Number.isInteger(index) || index < 0 || index >= flow.connections.length) {
      throw new NotFoundError(
        "connection",
        String(index),
        `Connection ${index} not found in flow '${flow_id}'`,
      );
    }
    await this.#update({ ...flow, connections: flow.connections.filter((_, i) => i !== index) });
  }

  #assertValid(flow: FlowDefinition): void {
    const { errors } = validateFlow(flow, this.#registry);
    if (errors.length > 0) throw new FlowInvalidError(errors);
  }

  #update(flow: FlowDefinition): Promise<void> {
    return this.#put({ ...flow, updated_at: this.#clock.iso() });
  }

  async #put(flow: FlowDefinition): Promise<void> {
    await this.#store.saveFlow(flow);
    this.#cache.set(flow.flow_id, flow);
  }

  #view(flow: FlowDefinition): FlowView {
    const routines: Record<string, RoutineInfo> = {};
    for (const [routine_id, instance] of Object.entries(flow.routines)) {
      const type = this.#registry.has(instance.class_name) ? this.#registry.get(instance.class_name) : null;
      routines[routine_id] = {
        routine_id,
        class_name: instance.class_name,
        slots: type ? Object.keys(type.slots) : [],
        events: type ? [...type.events] : [],
        config: instance.config,
      };
    }
    return {
      flow_id: flow.flow_id,
      routines,
      connections: flow.connections.map((c, index) => ({ connection_id: connectionId(index), ...c })),
      execution_strategy: flow.execution_strategy,
      max_workers: flow.max_workers,
      created_at: flow.created_at,
      updated_at: flow.updated_at,
    };
  }
}

function emptyFlow(flow_id: string, now: string): FlowDefinition {
  return {
    flow_id,
    routines: {},
    connections: [],
    execution_strategy: "sequential",
    max_workers: 5,
    timeout: null,
    created_at: now,
    updated_at: now,
  };
}
