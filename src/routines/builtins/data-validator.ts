import { z } from "zod";
import { defineRoutine } from "../../core/routine.js";
import type { JsonObject } from "../../core/types.js";

/**
 * A JSON-Schema-like subset for one level of payload fields: `required`, `properties` with `type`, `enum`,
 * `minimum`/`maximum`, `minLength`/`maxLength`, and `additionalProperties`. Keywords keep JSON Schema's
 * names so a reader who knows JSON Schema reads them at once. No `pattern`: a regex from an API client could
 * be made to backtrack for minutes.
 */

export const JSON_TYPES = ["string", "number", "integer", "boolean", "object", "array", "null"] as const;
export type JsonType = (typeof JSON_TYPES)[number];

const PropertyRule = z.strictObject({
  type: z.union([z.enum(JSON_TYPES), z.array(z.enum(JSON_TYPES)).min(1)]).optional(),
  enum: z.array(z.unknown()).min(1).optional(),
  minimum: z.number().optional(),
  maximum: z.number().optional(),
  minLength: z.number().int().min(0).optional(),
  maxLength: z.number().int().min(0).optional(),
});
type PropertyRule = z.output<typeof PropertyRule>;

const DataValidatorConfig = z.strictObject({
  required: z.array(z.string().min(1)).default([]),
  properties: z.record(z.string().min(1), PropertyRule).default({}),
  /** false: a field not listed in `properties` is an error. */
  additionalProperties: z.boolean().default(true),
});
type DataValidatorConfig = z.output<typeof DataValidatorConfig>;

function jsonTypeOf(value: unknown): JsonType {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value as JsonType;
}

const hasType = (value: unknown, type: JsonType): boolean => {
  const actual = jsonTypeOf(value);
  return actual === type || (type === "number" && actual === "integer");
};

/** Deep equality of JSON values, for `enum` (object key order does not matter). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  return (
    keys.length === Object.keys(right).length &&
    keys.every((key) => Object.hasOwn(right, key) && sameJson(left[key], right[key]))
  );
}

function propertyErrors(name: string, value: unknown, rule: PropertyRule): string[] {
  if (rule.type !== undefined) {
    const types = Array.isArray(rule.type) ? rule.type : [rule.type];
    if (!types.some((type) => hasType(value, type))) {
      return [`'${name}' must be ${types.join(" or ")} (got ${jsonTypeOf(value)})`];
    }
  }
  const errors: string[] = [];
  if (rule.enum !== undefined && !rule.enum.some((allowed) => sameJson(allowed, value))) {
    errors.push(`'${name}' must be one of ${JSON.stringify(rule.enum)}`);
  }
  if (typeof value === "number") {
    if (rule.minimum !== undefined && value < rule.minimum)
      errors.push(`'${name}' must be >= ${rule.minimum}`);
    if (rule.maximum !== undefined && value > rule.maximum)
      errors.push(`'${name}' must be <= ${rule.maximum}`);
  }
  if (typeof value === "string") {
    if (rule.minLength !== undefined && value.length < rule.minLength) {
      errors.push(`'${name}' must be at least ${rule.minLength} characters long`);
    }
    if (rule.maxLength !== undefined && value.length > rule.maxLength) {
      errors.push(`'${name}' must be at most ${rule.maxLength} characters long`);
    }
  }
  return errors;
}

export function validatePayload(payload: JsonObject, config: DataValidatorConfig): string[] {
  const errors: string[] = [];
  for (const name of config.required) if (!Object.hasOwn(payload, name)) errors.push(`'${name}' is required`);
  for (const [name, value] of Object.entries(payload)) {
    const rule = Object.hasOwn(config.properties, name) ? config.properties[name] : undefined;
    if (rule !== undefined) errors.push(...propertyErrors(name, value, rule));
    else if (!config.additionalProperties) errors.push(`'${name}' is not an allowed field`);
  }
  return errors;
}

export const DataValidator = defineRoutine({
  name: "DataValidator",
  description:
    "Checks the payload against `required`, `properties` {name: {type, enum, minimum, maximum, minLength, maxLength}} and `additionalProperties`: `valid` with the payload, or `invalid` {payload, errors}.",
  slots: ["input"],
  events: ["valid", "invalid"],
  config: DataValidatorConfig,
  handlers: {
    input(payload, ctx) {
      const errors = validatePayload(payload, ctx.config);
      if (errors.length === 0) ctx.emit("valid", payload);
      else ctx.emit("invalid", { payload, errors });
    },
  },
});
