import { z } from "zod";
import type { JsonObject } from "../../core/types.js";
import { Bindings, compile, truthy } from "../../expr/index.js";

/** A test on one payload. Filter and router are written against this, not against the expression language. */
export type Condition = (payload: JsonObject) => boolean;

/** How config gives a condition: expression text (the DSL's only way) or a predicate (from code). */
export type ConditionSource = string | Condition;

/**
 * An expression sees what a breakpoint condition sees of a payload: each payload field as a name, and the
 * whole payload as `payload` (how to reach a field whose name is reserved, or one that may be missing:
 * `payload.x` reads null where a bare `x` is an "unknown name" error).
 * Throws ExpressionError when the text does not compile.
 */
export function conditionFrom(source: ConditionSource): Condition {
  if (typeof source === "function") return source;
  const expression = compile(source);
  return (payload) => truthy(expression.evaluateIn(new Bindings(payload, { payload })));
}

const isConditionSource = (value: unknown): value is ConditionSource =>
  typeof value === "string" || typeof value === "function";

/**
 * Config field holding a condition. It compiles when the config is parsed, so an expression that does not
 * parse makes the flow invalid (validateFlow names the routine and the position) instead of failing a job.
 */
export const ConditionSchema = z
  .custom<ConditionSource>(isConditionSource, "expected an expression (text) or a predicate function")
  .transform((source, ctx): Condition => {
    try {
      return conditionFrom(source);
    } catch (error) {
      ctx.issues.push({
        code: "custom",
        input: source,
        message: error instanceof Error ? error.message : String(error),
      });
      return z.NEVER;
    }
  });
