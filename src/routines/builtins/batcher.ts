import { z } from "zod";
import { defineRoutine, type RoutineContext } from "../../core/routine.js";
import { listAt } from "./list-at.js";

const BatcherConfig = z.strictObject({ size: z.number().int().min(1).max(100_000) });

function emitBatch(ctx: RoutineContext<z.output<typeof BatcherConfig>>): void {
  const items = listAt(ctx.state, "items");
  if (items.length === 0) return;
  const batch_index = (ctx.state.batches ?? 0) as number;
  ctx.state.items = [];
  ctx.state.batches = batch_index + 1;
  ctx.emit("batch", { items, batch_index });
}

/** Consecutive payloads in groups of `size`; a payload at `flush` emits the partial group now. No timers. */
export const Batcher = defineRoutine({
  name: "Batcher",
  description:
    "Groups consecutive payloads into `batch` {items, batch_index} of `size`; any payload at `flush` emits the partial batch.",
  slots: ["input", "flush"],
  events: ["batch"],
  config: BatcherConfig,
  handlers: {
    input(payload, ctx) {
      const items = listAt(ctx.state, "items");
      items.push(payload);
      if (items.length >= ctx.config.size) emitBatch(ctx);
    },
    flush(_payload, ctx) {
      emitBatch(ctx);
    },
  },
});
