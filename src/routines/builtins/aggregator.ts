import { z } from "zod";
import { defineRoutine, type RoutineContext } from "../../core/routine.js";
import type { JsonObject } from "../../core/types.js";
import { PositiveWaitMs } from "./durations.js";
import { holdOpen, type OpenHandler } from "./hold-open.js";
import { listAt } from "./list-at.js";

const AggregatorConfig = z
  .strictObject({
    /** Emit once this many payloads have arrived. */
    size: z.number().int().min(1).max(100_000).optional(),
    /** Emit this long after the first payload of a window, however many have arrived. */
    timeout_ms: PositiveWaitMs.optional(),
  })
  .refine((config) => config.size !== undefined || config.timeout_ms !== undefined, {
    message: "give 'size', 'timeout_ms' or both",
  });
type AggregatorConfig = z.output<typeof AggregatorConfig>;

/**
 * The open window of each (job, routine), keyed by the routine's per-job state object. Handles stay out of
 * `ctx.state` itself so that state remains JSON the debugger can show (the pending `items` are there).
 */
const windows = new WeakMap<JsonObject, OpenHandler>();

function emitItems(ctx: RoutineContext<AggregatorConfig>, reason: "size" | "timeout"): void {
  const items = listAt(ctx.state, "items");
  ctx.state.items = [];
  ctx.emit("output", { items, reason });
}

/**
 * With `timeout_ms`, the delivery that opens a window keeps its handler open until the window closes (see
 * hold-open.ts): it emits on timeout, or is released when `size` is reached first by a later delivery, which
 * then emits itself. Without `timeout_ms`, payloads left over when the job ends are not emitted.
 */
export const Aggregator = defineRoutine({
  name: "Aggregator",
  description:
    "Collects payloads and emits `output` {items, reason} when `size` have arrived or `timeout_ms` after the first, whichever comes first.",
  slots: ["input"],
  events: ["output"],
  config: AggregatorConfig,
  handlers: {
    input(payload, ctx) {
      const state = ctx.state;
      const items = listAt(state, "items");
      items.push(payload);
      const { size, timeout_ms } = ctx.config;
      if (size !== undefined && items.length >= size) {
        windows.get(state)?.release();
        windows.delete(state);
        emitItems(ctx, "size");
        return;
      }
      if (timeout_ms === undefined || windows.has(state)) return;
      const window = holdOpen(ctx.signal, timeout_ms, () => {
        windows.delete(state);
        emitItems(ctx, "timeout");
      });
      windows.set(state, window);
      return window.settled;
    },
  },
});
