import { z } from "zod";
import { defineRoutine } from "../../core/routine.js";

/** An entry point: a job's `entry_params` arrive at `trigger` and leave unchanged as `output`. */
export const Start = defineRoutine({
  name: "Start",
  description: "Entry point of a flow: emits the job's entry params unchanged as `output`.",
  slots: ["trigger"],
  events: ["output"],
  config: z.strictObject({}),
  handlers: {
    trigger(payload, ctx) {
      ctx.emit("output", payload);
    },
  },
});
