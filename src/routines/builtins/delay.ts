import { z } from "zod";
import { defineRoutine } from "../../core/routine.js";
import { sleep } from "../sleep.js";
import { WaitMs } from "./durations.js";

/** Marked as a side effect: it spends wall-clock time, which a dry-run should not. */
export const Delay = defineRoutine({
  name: "Delay",
  description: "Waits `ms`, then emits the payload unchanged as `output`.",
  slots: ["input"],
  events: ["output"],
  config: z.strictObject({ ms: WaitMs }),
  sideEffects: true,
  handlers: {
    async input(payload, ctx) {
      await sleep(ctx.config.ms, ctx.signal);
      ctx.emit("output", payload);
    },
  },
});
