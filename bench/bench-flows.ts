/**
 * The routines and flow shapes the engine and debugger benches share: a source that emits `count` items, a routine
 * that passes each payload on, a sink, and a chain or fan-out of `width` pass-throughs behind the source.
 */
import type { Connection, FlowDefinition } from "../src/core/flow.js";
import { defineRoutine, RoutineRegistry, type SlotHandler } from "../src/core/routine.js";

export const emitItems: SlotHandler = (payload, ctx) => {
  const count = Number(payload.count);
  for (let index = 0; index < count; index++) ctx.emit("output", { index });
};

export const passThrough: SlotHandler = (payload, ctx) => {
  ctx.emit("output", payload);
};

export const benchRegistry = new RoutineRegistry().registerAll([
  defineRoutine({
    name: "BenchSource",
    slots: ["trigger"],
    events: ["output"],
    handlers: { trigger: emitItems },
  }),
  defineRoutine({
    name: "BenchPass",
    slots: ["input"],
    events: ["output"],
    handlers: { input: passThrough },
  }),
  defineRoutine({ name: "BenchSink", slots: ["input"], events: [], handlers: { input: () => {} } }),
]);

const wire = (from: string, to: string): Connection => ({
  source_routine: from,
  source_event: "output",
  target_routine: to,
  target_slot: "input",
  param_mapping: null,
});

const instance = (class_name: string) => ({ class_name, config: {}, error_handler: null });

/** A sequential flow of `routines` (id → class) wired `[from, to]`, event `output` to slot `input`. */
export function benchFlow(
  flow_id: string,
  routines: Record<string, string>,
  wires: ReadonlyArray<readonly [string, string]>,
): FlowDefinition {
  const now = new Date().toISOString();
  return {
    flow_id,
    routines: Object.fromEntries(Object.entries(routines).map(([id, type]) => [id, instance(type)])),
    connections: wires.map(([from, to]) => wire(from, to)),
    execution_strategy: "sequential",
    max_workers: 1,
    timeout: null,
    created_at: now,
    updated_at: now,
  };
}

/** `r0`…`r{width-1}`: the pass-throughs behind the source. */
export const passIds = (width: number): string[] => Array.from({ length: width }, (_, i) => `r${i}`);

/** The source, then `width` pass-throughs one after another. */
export const chainFlow = (flow_id: string, width: number): FlowDefinition => {
  const ids = passIds(width);
  return benchFlow(
    flow_id,
    { source: "BenchSource", ...Object.fromEntries(ids.map((id) => [id, "BenchPass"])) },
    ids.map((id, i) => [i === 0 ? "source" : ids[i - 1]!, id] as const),
  );
};

/** The source, wired to `width` pass-throughs side by side. */
export const fanOutFlow = (flow_id: string, width: number): FlowDefinition => {
  const ids = passIds(width);
  return benchFlow(
    flow_id,
    { source: "BenchSource", ...Object.fromEntries(ids.map((id) => [id, "BenchPass"])) },
    ids.map((id) => ["source", id] as const),
  );
};
