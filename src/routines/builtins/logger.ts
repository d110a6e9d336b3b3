import { z } from "zod";
import { defineRoutine } from "../../core/routine.js";
import { TemplateSchema } from "./template.js";

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

const LoggerConfig = z.strictObject({
  /** A template, like TextTemplate's: `order {{id}} received`. */
  message: TemplateSchema.prefault("received"),
  level: z.enum(LOG_LEVELS).default("info"),
  /** Attach the payload to the log entry as `payload`. */
  include_payload: z.boolean().default(true),
});

/** A tap: writes a `log` event to the job's event log and passes the payload on unchanged. */
export const Logger = defineRoutine({
  name: "Logger",
  description:
    "Writes `message` (a template) to the job's log at `level`, then emits the payload unchanged as `output`.",
  slots: ["input"],
  events: ["output"],
  config: LoggerConfig,
  handlers: {
    input(payload, ctx) {
      const { message, level, include_payload } = ctx.config;
      ctx.log(message.render(payload, "empty"), include_payload ? { level, payload } : { level });
      ctx.emit("output", payload);
    },
  },
});
