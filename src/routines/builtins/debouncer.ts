import { z } from "zod";
import { defineRoutine } from "../../core/routine.js";
import type { JsonObject } from "../../core/types.js";
import { PositiveWaitMs } from "./durations.js";
import { holdOpen, type OpenHandler } from "./hold-open.js";

/** The delivery now waiting, per (job, routine); keyed by the routine's per-job state object. */
const waiting = new WeakMap<JsonObject, OpenHandler>();

/**
 * Each payload replaces the one waiting: the newest delivery keeps its handler open (see hold-open.ts) and
 * emits once `wait_ms` pass with nothing newer; the one it replaced ends without emitting. So at most one
 * handler per debouncer is held at a time, and a cancelled job stops the wait at once.
 */
export const Debouncer = defineRoutine({
  name: "Debouncer",
  description: "Emits the last payload as `output` once `wait_ms` pass without a newer one.",
  slots: ["input"],
  events: ["output"],
  config: z.strictObject({ wait_ms: PositiveWaitMs }),
  handlers: {
    input(payload, ctx) {
      const state = ctx.state;
      const superseded = waiting.get(state);
      if (superseded) {
        superseded.release();
        state.superseded = ((state.superseded ?? 0) as number) + 1;
      }
      const wait = holdOpen(ctx.signal, ctx.config.wait_ms, () => {
        waiting.delete(state);
        ctx.emit("output", payload);
      });
      waiting.set(state, wait);
      return wait.settled;
    },
  },
});
