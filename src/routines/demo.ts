import { z } from "zod";
import { defineRoutine } from "../core/routine.js";
import { checkedWaitMs } from "../core/timers.js";
import type { JsonObject } from "../core/types.js";
import { sleep } from "./sleep.js";

/** The routines of the demo flows, as the demo flows (demo-flows.ts) use them. */

const indexOf = (payload: JsonObject): unknown => payload.index ?? null;

export const DemoSource = defineRoutine({
  name: "DemoSource",
  description: "Emits `output` {data, index} for index 0 … count−1, waiting delay_ms between emits.",
  slots: ["trigger"],
  events: ["output"],
  handlers: {
    trigger(payload, ctx) {
      const count = Math.min(Math.max(Math.trunc(Number(payload.count ?? 1)) || 0, 0), 10_000);
      const delayMs = checkedWaitMs(Number(payload.delay_ms ?? 0), "delay_ms");
      const data = payload.data ?? null;
      if (delayMs === 0) {
        for (let index = 0; index < count; index++) ctx.emit("output", { data, index });
        return;
      }
      return (async () => {
        for (let index = 0; index < count; index++) {
          if (index > 0) await sleep(delayMs, ctx.signal);
          ctx.emit("output", { data, index });
        }
      })();
    },
  },
});

export const DemoValidator = defineRoutine({
  name: "DemoValidator",
  description: "`valid` when data is neither null nor empty; otherwise `invalid` with errors.",
  slots: ["input"],
  events: ["valid", "invalid"],
  handlers: {
    input(payload, ctx) {
      const data = payload.data ?? null;
      if (data === null || data === "") {
        ctx.emit("invalid", { data, index: indexOf(payload), errors: ["data is empty"] });
      } else {
        ctx.emit("valid", { data, index: indexOf(payload) });
      }
    },
  },
});

/** `str()` of the expression language, so demo output reads the same everywhere. */
const text = (value: unknown): string =>
  typeof value === "string" ? value : value === null || value === undefined ? "None" : JSON.stringify(value);

export const DemoTransformer = defineRoutine({
  name: "DemoTransformer",
  description: "`output` {result: upper(str(data)), index}.",
  slots: ["input"],
  events: ["output"],
  handlers: {
    input(payload, ctx) {
      ctx.emit("output", { result: text(payload.data).toUpperCase(), index: indexOf(payload) });
    },
  },
});

export const DemoMultiplier = defineRoutine({
  name: "DemoMultiplier",
  description: "`output` {result: str(data) repeated config.times, index}.",
  slots: ["input"],
  events: ["output"],
  config: z.object({ times: z.number().int().min(0).max(1000).default(2) }),
  handlers: {
    input(payload, ctx) {
      ctx.emit("output", { result: text(payload.data).repeat(ctx.config.times), index: indexOf(payload) });
    },
  },
});

export const DemoSlow = defineRoutine({
  name: "DemoSlow",
  description: "Waits config.delay_ms, then `output` {data, index}.",
  slots: ["input"],
  events: ["output"],
  config: z.object({ delay_ms: z.number().min(0).max(600_000).default(200) }),
  handlers: {
    async input(payload, ctx) {
      await sleep(ctx.config.delay_ms, ctx.signal);
      ctx.emit("output", { data: payload.data ?? null, index: indexOf(payload) });
    },
  },
});

export const DemoAggregator = defineRoutine({
  name: "DemoAggregator",
  description:
    "After config.size deliveries, `output` {items: [payloads in arrival order]}, then starts over.",
  slots: { input: { merge: "append" } },
  events: ["output"],
  config: z.object({ size: z.number().int().min(1).max(10_000).default(2) }),
  handlers: {
    input(_merged, ctx) {
      // The append buffer holds each key's history; the batch of whole payloads is this routine's own state.
      const items = (ctx.state.items as JsonObject[] | undefined) ?? [];
      items.push(ctx.payload);
      ctx.state.items = items;
      if (items.length >= ctx.config.size) {
        ctx.state.items = [];
        ctx.emit("output", { items });
      }
    },
  },
});

export const DemoFaulty = defineRoutine({
  name: "DemoFaulty",
  description: 'Throws "demo failure for index <i>" when data == "fail" or index is in config.fail_indexes.',
  slots: ["input"],
  events: ["output"],
  config: z.object({ fail_indexes: z.array(z.number().int()).default([]) }),
  handlers: {
    input(payload, ctx) {
      const index = indexOf(payload);
      if (payload.data === "fail" || (typeof index === "number" && ctx.config.fail_indexes.includes(index))) {
        throw new Error(`demo failure for index ${index}`);
      }
      ctx.emit("output", { data: payload.data ?? null, index });
    },
  },
});

export const DemoSink = defineRoutine({
  name: "DemoSink",
  description: "Appends its payload to the job's shared data under `results`.",
  slots: ["input"],
  events: [],
  handlers: {
    input(payload, ctx) {
      const results = (ctx.shared.results as JsonObject[] | undefined) ?? [];
      results.push(payload);
      ctx.shared.results = results;
    },
  },
});

export const demoRoutines = [
  DemoSource,
  DemoValidator,
  DemoTransformer,
  DemoMultiplier,
  DemoSlow,
  DemoAggregator,
  DemoFaulty,
  DemoSink,
];
