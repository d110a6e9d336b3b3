import { defineRoutine, z } from "routilux";

/**
 * A routine type: slots it receives on, events it emits, a config schema, and one handler per slot. Every routine
 * type this module exports is registered when `routilux serve --routines src/routines` loads it.
 */
export const Greet = defineRoutine({
  name: "Greet",
  description: "Emits `{ greeting }` for the payload's `name`.",
  slots: ["input"],
  events: ["output"],
  config: z.strictObject({ greeting: z.string().default("Hello") }),
  handlers: {
    input(payload, ctx) {
      const name = typeof payload.name === "string" ? payload.name : "world";
      ctx.log(`greeting ${name}`);
      ctx.emit("output", { greeting: `${ctx.config.greeting}, ${name}!` });
    },
  },
});
