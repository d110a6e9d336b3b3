import { z } from "zod";
import { defineRoutine } from "../../core/routine.js";
import { listAt } from "./list-at.js";

const SinkConfig = z.strictObject({
  /** The key of the job's shared data that collects the payloads. */
  key: z
    .string()
    .min(1)
    .refine((key) => key !== "__proto__", "'__proto__' cannot be a key")
    .default("results"),
});

export const Sink = defineRoutine({
  name: "Sink",
  description:
    "Collects each payload into the job's shared data: appends it to the list at `key` (default `results`).",
  slots: ["input"],
  events: [],
  config: SinkConfig,
  handlers: {
    input(payload, ctx) {
      listAt(ctx.shared, ctx.config.key).push(payload);
    },
  },
});
