import { z } from "zod";
import { compileFlow } from "../../src/core/compiled-flow.js";
import { Job } from "../../src/core/job.js";
import { defineRoutine, Routine, type RoutineContext } from "../../src/core/routine.js";
import type { JsonObject } from "../../src/core/types.js";
import { parseAndValidateFlowDsl } from "../../src/dsl/index.js";
import { defaultRegistry } from "../../src/routines/index.js";

// The functional way: slots, events, a zod schema for the config, and one handler per slot.
export const Greeter = defineRoutine({
  name: "Greeter",
  slots: ["input"],
  events: ["greeted"],
  config: z.object({ greeting: z.string().default("Hello") }),
  handlers: {
    input(payload, ctx) {
      ctx.emit("greeted", { text: `${ctx.config.greeting}, ${payload.name}!` });
    },
  },
});

// The class way: one method per slot, named after the slot.
export class Shouter extends Routine {
  readonly name = "Shouter";
  readonly slots = { input: {} };
  readonly events = ["shouted"];

  input(payload: JsonObject, ctx: RoutineContext): void {
    ctx.emit("shouted", { text: String(payload.text).toUpperCase() });
  }
}

export async function main(): Promise<unknown> {
  const registry = defaultRegistry().register(Greeter).register(new Shouter());
  const { flow } = parseAndValidateFlowDsl(
    {
      flow_id: "greetings",
      routines: {
        start: { class: "Start" },
        greeter: { class: "Greeter", config: { greeting: "Hi" } },
        shouter: { class: "Shouter" },
        sink: { class: "Sink" },
      },
      connections: [
        { from: "start.output", to: "greeter.input" },
        { from: "greeter.greeted", to: "shouter.input" },
        { from: "shouter.shouted", to: "sink.input" },
      ],
    },
    registry,
    { now: new Date().toISOString() },
  );
  const job = new Job({ job_id: "greet-1", flow: compileFlow(flow, registry) });
  job.start("start", { name: "Ada" });
  await job.done;
  return job.shared.results; // [{ text: "HI, ADA!" }]
}
