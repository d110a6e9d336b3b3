import { z } from "zod";
import { defineRoutine } from "../../core/routine.js";
import type { JsonObject } from "../../core/types.js";
import { isFieldPath, PATH_RULE, readPath } from "./path.js";

const SplitterConfig = z.strictObject({
  /** The array to split: a field name or dotted path. */
  field: z.string().refine(isFieldPath, `must be ${PATH_RULE}`).default("items"),
  /** Name of the element in each emitted payload. */
  item_key: z.string().min(1).default("item"),
  /** Copy the payload's other top-level fields into each emitted payload. */
  keep_fields: z.boolean().default(false),
});

export const Splitter = defineRoutine({
  name: "Splitter",
  description:
    "Emits `item` {<item_key>: element, index, count} once per element of the array at `field`, then `done` {count}.",
  slots: ["input"],
  events: ["item", "done"],
  config: SplitterConfig,
  handlers: {
    input(payload, ctx) {
      const { field, item_key, keep_fields } = ctx.config;
      const array = readPath(payload, field);
      if (!Array.isArray(array)) {
        const found = array === undefined ? "missing" : array === null ? "null" : typeof array;
        throw new TypeError(`field '${field}' is not an array (it is ${found})`);
      }
      const base: JsonObject = {};
      if (keep_fields)
        for (const [key, value] of Object.entries(payload)) if (key !== field) base[key] = value;
      const count = array.length;
      for (let index = 0; index < count; index++)
        ctx.emit("item", { ...base, [item_key]: array[index], index, count });
      ctx.emit("done", { count });
    },
  },
});
