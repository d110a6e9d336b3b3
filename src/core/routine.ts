import { z } from "zod";
import { AlreadyExistsError, NotFoundError } from "./errors.js";
import type { JsonObject, MergeStrategy } from "./types.js";

export interface SlotDeclaration {
  /** How deliveries that fan in to this slot combine: `override` (newest payload) or `append` (each key a list). */
  readonly merge?: MergeStrategy;
}

/** What a slot handler sees. One context per delivery; `state` and `shared` belong to the job. */
export interface RoutineContext<Config = JsonObject> {
  readonly job_id: string;
  readonly routine_id: string;
  readonly slot_name: string;
  /** This delivery's own payload, before a slot's merge strategy combined it with earlier ones. */
  readonly payload: JsonObject;
  readonly config: Config;
  /** This routine's own state within this job (never shared between jobs). */
  readonly state: JsonObject;
  /** The job's shared data, visible to every routine of the job. */
  readonly shared: JsonObject;
  /** Aborted when the job is cancelled or times out. */
  readonly signal: AbortSignal;
  /** Emits one of the routine's declared events; never blocks (deliveries are queued). */
  emit(event: string, payload?: JsonObject): void;
  log(message: string, data?: JsonObject): void;
}

export type SlotHandler<Config = JsonObject> = (
  payload: JsonObject,
  ctx: RoutineContext<Config>,
) => void | Promise<void>;

/** A registered kind of routine: the DSL's `class`, the API's `class_name`. Stateless; per-job state lives in the job. */
export interface RoutineType<Config = unknown> {
  readonly name: string;
  readonly description?: string;
  readonly slots: Readonly<Record<string, SlotDeclaration>>;
  readonly events: readonly string[];
  /** Parses a routine instance's raw config (applying defaults); a failure makes the flow invalid. */
  readonly config: z.ZodType<Config>;
  readonly handlers: Readonly<Record<string, SlotHandler<Config>>>;
  /** True for routines that reach outside the job (HTTP, timers); a dry-run stubs them. */
  readonly sideEffects?: boolean;
}

const anyConfig = z.record(z.string(), z.unknown()).default({});

export interface RoutineSpec<Schema extends z.ZodType> {
  name: string;
  description?: string;
  slots: readonly string[] | Readonly<Record<string, SlotDeclaration>>;
  events: readonly string[];
  config?: Schema;
  handlers: Record<string, SlotHandler<z.output<Schema>>>;
  sideEffects?: boolean;
}

const isSlotList = (slots: RoutineSpec<z.ZodType>["slots"]): slots is readonly string[] =>
  Array.isArray(slots);

const slotsFrom = (slots: RoutineSpec<z.ZodType>["slots"]): Record<string, SlotDeclaration> =>
  isSlotList(slots) ? Object.fromEntries(slots.map((name) => [name, {}])) : { ...slots };

/** The functional way to declare a routine type. */
export function defineRoutine<Schema extends z.ZodType = typeof anyConfig>(
  spec: RoutineSpec<Schema>,
): RoutineType<z.output<Schema>> {
  const slots = slotsFrom(spec.slots);
  for (const slot of Object.keys(slots)) {
    if (typeof spec.handlers[slot] !== "function") {
      throw new TypeError(`routine '${spec.name}': slot '${slot}' has no handler`);
    }
  }
  return Object.freeze({
    name: spec.name,
    description: spec.description,
    slots,
    events: [...spec.events],
    config: (spec.config ?? anyConfig) as z.ZodType<z.output<Schema>>,
    handlers: { ...spec.handlers },
    sideEffects: spec.sideEffects ?? false,
  });
}

/**
 * The class way: subclass, declare `name`, `slots`, `events` (and `config`), and write one method per slot,
 * named after the slot. Register an instance: `registry.register(new MyRoutine())`.
 */
export abstract class Routine<Config = JsonObject> implements RoutineType<Config> {
  abstract readonly name: string;
  abstract readonly slots: Readonly<Record<string, SlotDeclaration>>;
  abstract readonly events: readonly string[];
  readonly description?: string;
  readonly sideEffects?: boolean;
  readonly config: z.ZodType<Config> = anyConfig as unknown as z.ZodType<Config>;

  get handlers(): Readonly<Record<string, SlotHandler<Config>>> {
    const handlers: Record<string, SlotHandler<Config>> = {};
    for (const slot of Object.keys(this.slots)) {
      const method = (this as unknown as Record<string, unknown>)[slot];
      if (typeof method !== "function")
        throw new TypeError(`routine '${this.name}': no method for slot '${slot}'`);
      handlers[slot] = method.bind(this) as SlotHandler<Config>;
    }
    return handlers;
  }
}

/**
 * A routine type whose config type is erased. The registry holds types of many config shapes; each type's own
 * schema parses its config before its handlers see it, so erasing it here loses no safety.
 */
// biome-ignore lint/suspicious/noExplicitAny: config is invariant in RoutineType (read by the schema, consumed by handlers)
export type AnyRoutineType = RoutineType<any>;

/** Routine types by name. Flows refer to types only through a registry, never by module path. */
export class RoutineRegistry {
  readonly #types = new Map<string, AnyRoutineType>();

  register(type: AnyRoutineType, options: { replace?: boolean } = {}): this {
    if (this.#types.has(type.name) && !options.replace) throw new AlreadyExistsError("routine", type.name);
    // Snapshot class-style handlers once so the hot path never re-binds them.
    const handlers = type.handlers;
    this.#types.set(type.name, Object.freeze({ ...type, handlers, config: type.config }));
    return this;
  }

  registerAll(types: readonly AnyRoutineType[]): this {
    for (const type of types) this.register(type);
    return this;
  }

  get(name: string): AnyRoutineType {
    const type = this.#types.get(name);
    if (!type) throw new NotFoundError("routine", name, `Routine type '${name}' is not registered`);
    return type;
  }

  has(name: string): boolean {
    return this.#types.has(name);
  }

  list(): AnyRoutineType[] {
    return [...this.#types.values()];
  }
}
