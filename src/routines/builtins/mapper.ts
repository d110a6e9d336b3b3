import { z } from "zod";
import { defineRoutine } from "../../core/routine.js";
import type { JsonObject } from "../../core/types.js";
import { isFieldPath, PATH_RULE, readPath, rootField } from "./path.js";

/** From code, the whole mapping can be a function from payload to payload. */
export type MapFunction = (payload: JsonObject) => JsonObject;

const OutputKey = z
  .string()
  .min(1)
  .refine((key) => key !== "__proto__", "'__proto__' cannot be an output key");

const MapperConfig = z.strictObject({
  /** `{out_key: in_key_or_path}`, or a function (code only). */
  mapping: z
    .union([
      z.record(OutputKey, z.string().refine(isFieldPath, `must be ${PATH_RULE}`)),
      z.custom<MapFunction>((value) => typeof value === "function", "expected a function"),
    ])
    .default({}),
  /** Constant fields written after the mapping. */
  set: z.record(OutputKey, z.unknown()).default({}),
  /** Also pass through the payload fields the mapping did not move. */
  keep_unmapped: z.boolean().default(false),
});
type MapperConfig = z.output<typeof MapperConfig>;

/**
 * A plain key in `mapping` is a rename (with keep_unmapped, the old key does not stay); a dotted path is a
 * copy out of a nested object (the object stays). A source that is missing leaves its output key out.
 */
function buildOutput(payload: JsonObject, config: MapperConfig): JsonObject {
  if (typeof config.mapping === "function") return { ...config.mapping(payload), ...cloned(config.set) };
  const out: JsonObject = {};
  if (config.keep_unmapped) {
    const moved = new Set(Object.values(config.mapping).filter((path) => rootField(path) === path));
    for (const [key, value] of Object.entries(payload)) if (!moved.has(key)) out[key] = value;
  }
  for (const [outKey, path] of Object.entries(config.mapping)) {
    const value = readPath(payload, path);
    if (value !== undefined) out[outKey] = value;
  }
  return { ...out, ...cloned(config.set) };
}

/** Each emitted payload gets its own copy of the constants, so no downstream change leaks into config. */
const cloned = (values: JsonObject): JsonObject => structuredClone(values);

export const Mapper = defineRoutine({
  name: "Mapper",
  description:
    "Renames, picks and sets payload fields: `mapping` {out_key: in_key_or_path}, `set`, `keep_unmapped`.",
  slots: ["input"],
  events: ["output"],
  config: MapperConfig,
  handlers: {
    input(payload, ctx) {
      ctx.emit("output", buildOutput(payload, ctx.config));
    },
  },
});
