import { FlowInvalidError } from "./errors.js";
import { type ErrorHandler, type FlowDefinition, validateFlow } from "./flow.js";
import type { RoutineRegistry, SlotHandler } from "./routine.js";
import type { ExecutionStrategy, JsonObject, MergeStrategy } from "./types.js";

export interface Route {
  readonly routine: CompiledRoutine;
  readonly slot: string;
  readonly handler: SlotHandler<unknown>;
  readonly merge: MergeStrategy;
  /** `{event_param: slot_param}` or null when the payload passes through untouched. */
  readonly mapping: Readonly<Record<string, string>> | null;
  /**
   * `{routine_id, slot_name}`, frozen: the data of every `slot_called` and `routine_started` event of this slot.
   * One object per slot instead of two per delivery, in a log that keeps every event of a job.
   */
  readonly slotEventData: Readonly<JsonObject>;
}

export interface CompiledRoutine {
  readonly routine_id: string;
  readonly class_name: string;
  readonly config: unknown;
  readonly errorHandler: ErrorHandler | null;
  readonly events: ReadonlySet<string>;
  /** Where each emitted event goes; an event with no listener maps to an empty list. */
  readonly routes: ReadonlyMap<string, readonly Route[]>;
  /** The routine's own slots, as deliveries into them (used for the entry `trigger`). */
  readonly slots: ReadonlyMap<string, Route>;
  readonly sideEffects: boolean;
}

/** A flow resolved against a registry once, so the delivery loop does map lookups only. */
export interface CompiledFlow {
  readonly flow_id: string;
  readonly routines: ReadonlyMap<string, CompiledRoutine>;
  readonly strategy: ExecutionStrategy;
  readonly maxWorkers: number;
  readonly timeout: number | null;
}

const cache = new WeakMap<FlowDefinition, WeakMap<RoutineRegistry, CompiledFlow>>();

/** Stands in for some handlers (a dry-run's mocks and stubs); return undefined to keep the routine's own. */
export type HandlerOverride = (routine: CompiledRoutine, slot: string) => SlotHandler<unknown> | undefined;

/**
 * Validates and compiles a flow. Cached per (definition object, registry): definitions are replaced, never
 * mutated, so a job keeps running on the flow it started with while a new one is served.
 */
export function compileFlow(
  flow: FlowDefinition,
  registry: RoutineRegistry,
  override?: HandlerOverride,
): CompiledFlow {
  const cached = override ? undefined : cache.get(flow)?.get(registry);
  if (cached) return cached;
  const validation = validateFlow(flow, registry);
  if (!validation.valid) throw new FlowInvalidError(validation.errors);

  type Building = Omit<CompiledRoutine, "routes" | "slots"> & {
    routes: Map<string, Route[]>;
    slots: Map<string, Route>;
  };
  const routines = new Map<string, Building>();
  for (const [routine_id, instance] of Object.entries(flow.routines)) {
    const type = registry.get(instance.class_name);
    const routine: Building = {
      routine_id,
      class_name: instance.class_name,
      config: type.config.parse(instance.config),
      errorHandler: instance.error_handler,
      events: new Set(type.events),
      routes: new Map<string, Route[]>(type.events.map((event) => [event, []])),
      slots: new Map<string, Route>(),
      sideEffects: type.sideEffects ?? false,
    };
    for (const [slot, declaration] of Object.entries(type.slots)) {
      routine.slots.set(slot, {
        routine,
        slot,
        handler: override?.(routine, slot) ?? type.handlers[slot]!,
        merge: declaration.merge ?? "override",
        mapping: null,
        slotEventData: Object.freeze({ routine_id, slot_name: slot }),
      });
    }
    routines.set(routine_id, routine);
  }
  for (const conn of flow.connections) {
    const source = routines.get(conn.source_routine)!;
    const target = routines.get(conn.target_routine)!;
    const slot = target.slots.get(conn.target_slot)!;
    const mapping =
      conn.param_mapping && Object.keys(conn.param_mapping).length > 0 ? conn.param_mapping : null;
    source.routes.get(conn.source_event)!.push({ ...slot, mapping });
  }

  const compiled: CompiledFlow = {
    flow_id: flow.flow_id,
    routines,
    strategy: flow.execution_strategy,
    maxWorkers: flow.execution_strategy === "sequential" ? 1 : flow.max_workers,
    timeout: flow.timeout,
  };
  if (override) return compiled;
  if (!cache.has(flow)) cache.set(flow, new WeakMap());
  cache.get(flow)!.set(registry, compiled);
  return compiled;
}

/** Renames payload keys per the connection; a renamed key does not also arrive under its old name. */
export function mapPayload(payload: JsonObject, mapping: Readonly<Record<string, string>>): JsonObject {
  const out: JsonObject = {};
  for (const key in payload) {
    if (!Object.hasOwn(payload, key)) continue;
    const name = Object.hasOwn(mapping, key) ? mapping[key]! : key;
    // Assigning `__proto__` would set the prototype and lose the value: define it as the plain key it is.
    if (name === "__proto__")
      Object.defineProperty(out, name, {
        value: payload[key],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else out[name] = payload[key];
  }
  return out;
}
