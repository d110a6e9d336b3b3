import { z } from "zod";
import { defineRoutine } from "../../core/routine.js";
import { TemplateSchema } from "./template.js";

const TextTemplateConfig = z.strictObject({
  /** `Hello {{name}}`: placeholders are field paths of the payload (or `payload` itself). */
  template: TemplateSchema,
  /** The field the rendered text is written to. */
  output_key: z.string().min(1).default("text"),
  /** A placeholder whose field is missing renders empty, or fails the delivery. */
  missing: z.enum(["empty", "error"]).default("empty"),
  /** Emit the payload's fields too, with the text added. */
  keep_fields: z.boolean().default(false),
});

export const TextTemplate = defineRoutine({
  name: "TextTemplate",
  description:
    "Renders `template` ({{field.path}} placeholders, no code) and emits `output` {<output_key>: text}.",
  slots: ["input"],
  events: ["output"],
  config: TextTemplateConfig,
  handlers: {
    input(payload, ctx) {
      const { template, output_key, missing, keep_fields } = ctx.config;
      const text = template.render(payload, missing);
      ctx.emit("output", keep_fields ? { ...payload, [output_key]: text } : { [output_key]: text });
    },
  },
});
