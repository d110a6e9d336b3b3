import { z } from "zod";
import { defineRoutine } from "../../core/routine.js";
import { ConditionSchema } from "./condition.js";

export const Filter = defineRoutine({
  name: "Filter",
  description: "Emits the payload unchanged as `passed` when `condition` holds, else as `rejected`.",
  slots: ["input"],
  events: ["passed", "rejected"],
  config: z.strictObject({ condition: ConditionSchema }),
  handlers: {
    input(payload, ctx) {
      ctx.emit(ctx.config.condition(payload) ? "passed" : "rejected", payload);
    },
  },
});
