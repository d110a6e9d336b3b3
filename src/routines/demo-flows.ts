import type { Connection, FlowDefinition, RoutineInstance } from "../core/flow.js";

/** The four demo flows every server registers; ids, routines and connections are part of the contract. */

const routine = (class_name: string, config: Record<string, unknown> = {}): RoutineInstance => ({
  class_name,
  config,
  error_handler: null,
});

const wire = (...pairs: [from: string, to: string][]): Connection[] =>
  pairs.map(([from, to]) => {
    const [source_routine, source_event] = from.split(".") as [string, string];
    const [target_routine, target_slot] = to.split(".") as [string, string];
    return { source_routine, source_event, target_routine, target_slot, param_mapping: null };
  });

export function demoFlows(now: string): FlowDefinition[] {
  const flow = (
    flow_id: string,
    execution_strategy: FlowDefinition["execution_strategy"],
    routines: FlowDefinition["routines"],
    connections: Connection[],
  ): FlowDefinition => ({
    flow_id,
    routines,
    connections,
    execution_strategy,
    max_workers: execution_strategy === "concurrent" ? 4 : 5,
    timeout: null,
    created_at: now,
    updated_at: now,
  });

  return [
    flow(
      "linear_flow",
      "sequential",
      {
        source: routine("DemoSource"),
        validator: routine("DemoValidator"),
        transformer: routine("DemoTransformer"),
        sink: routine("DemoSink"),
      },
      wire(
        ["source.output", "validator.input"],
        ["validator.valid", "transformer.input"],
        ["transformer.output", "sink.input"],
      ),
    ),
    flow(
      "branching_flow",
      "concurrent",
      {
        source: routine("DemoSource"),
        validator: routine("DemoValidator"),
        transformer: routine("DemoTransformer"),
        multiplier: routine("DemoMultiplier"),
        sink: routine("DemoSink"),
      },
      wire(
        ["source.output", "validator.input"],
        ["validator.valid", "transformer.input"],
        ["validator.valid", "multiplier.input"],
        ["transformer.output", "sink.input"],
        ["multiplier.output", "sink.input"],
      ),
    ),
    flow(
      "complex_flow",
      "concurrent",
      {
        source: routine("DemoSource"),
        validator: routine("DemoValidator"),
        transformer: routine("DemoTransformer"),
        multiplier: routine("DemoMultiplier"),
        slow: routine("DemoSlow"),
        aggregator: routine("DemoAggregator", { size: 3 }),
        sink: routine("DemoSink"),
      },
      wire(
        ["source.output", "validator.input"],
        ["validator.valid", "transformer.input"],
        ["validator.valid", "multiplier.input"],
        ["validator.valid", "slow.input"],
        ["transformer.output", "aggregator.input"],
        ["multiplier.output", "aggregator.input"],
        ["slow.output", "aggregator.input"],
        ["aggregator.output", "sink.input"],
      ),
    ),
    flow(
      "error_flow",
      "sequential",
      {
        source: routine("DemoSource"),
        faulty: {
          class_name: "DemoFaulty",
          config: {},
          error_handler: { strategy: "stop", max_retries: 3, retry_delay: 1, retry_backoff: 2 },
        },
        sink: routine("DemoSink"),
      },
      wire(["source.output", "faulty.input"], ["faulty.output", "sink.input"]),
    ),
  ];
}
