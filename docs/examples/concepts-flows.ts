import { compileFlow } from "../../src/core/compiled-flow.js";
import { Job } from "../../src/core/job.js";
import { defineRoutine } from "../../src/core/routine.js";
import { parseAndValidateFlowDsl } from "../../src/dsl/index.js";
import { defaultRegistry } from "../../src/routines/index.js";

const Double = defineRoutine({
  name: "Double",
  slots: ["input"],
  events: ["output"],
  handlers: {
    input(payload, ctx) {
      ctx.emit("output", { value: Number(payload.value) * 2 });
    },
  },
});

const Square = defineRoutine({
  name: "Square",
  slots: ["input"],
  events: ["output"],
  handlers: {
    input(payload, ctx) {
      ctx.emit("output", { value: Number(payload.value) ** 2 });
    },
  },
});

// Fan-in: with `merge: "append"` the handler sees every key it has received so far, each as a list.
const Both = defineRoutine({
  name: "Both",
  slots: { input: { merge: "append" } },
  events: ["output"],
  handlers: {
    input(merged, ctx) {
      if ("doubled" in merged && "squared" in merged) ctx.emit("output", merged);
    },
  },
});

export async function main(): Promise<unknown> {
  const registry = defaultRegistry().registerAll([Double, Square, Both]);
  const { flow, warnings } = parseAndValidateFlowDsl(
    {
      flow_id: "double_and_square",
      routines: {
        start: { class: "Start" },
        double: { class: "Double" },
        square: { class: "Square" },
        both: { class: "Both" },
        sink: { class: "Sink" },
      },
      connections: [
        // Fan-out: one event, two connections. param_mapping renames `n` to the slot's `value`.
        { from: "start.output", to: "double.input", param_mapping: { n: "value" } },
        { from: "start.output", to: "square.input", param_mapping: { n: "value" } },
        // Fan-in: two events into one slot, each renamed so the results stay apart.
        { from: "double.output", to: "both.input", param_mapping: { value: "doubled" } },
        { from: "square.output", to: "both.input", param_mapping: { value: "squared" } },
        { from: "both.output", to: "sink.input" },
      ],
    },
    registry,
    { now: new Date().toISOString() },
  );
  const job = new Job({ job_id: "math-1", flow: compileFlow(flow, registry) });
  job.start("start", { n: 3 });
  await job.done;
  return { warnings, results: job.shared.results }; // { warnings: [], results: [{ doubled: [6], squared: [9] }] }
}
