/**
 * Routilux expressions (shared/spec/expressions.md, docs/expressions.md): a small, sandboxed language
 * for breakpoint conditions, the debugger's evaluate and flow-level conditions.
 *
 * Compile once, evaluate many times: `compile` parses and checks the source (syntax, bounds, names of
 * functions, forbidden keys) and returns a closure tree; `evaluate` on it reads only own data
 * properties of the context and is bounded in steps and in what it produces. Every failure, at either
 * stage, is an `ExpressionError` with a message meant for the person who wrote the expression.
 */
import { Evaluation } from "./budget.js";
import { ExpressionError } from "./errors.js";
import { BUILTIN_FUNCTIONS } from "./functions.js";
import { compileTree } from "./interpreter.js";
import {
  ITEMS_PER_STEP,
  MAX_DEPTH,
  MAX_EXPONENT,
  MAX_PRODUCED,
  MAX_SOURCE_BYTES,
  MAX_STEPS,
  MAX_VALUE_DEPTH,
} from "./limits.js";
import { parse } from "./parser.js";
import { snapshot } from "./snapshot.js";
import { type ResultType, typeOfResult } from "./values.js";

export { ExpressionError } from "./errors.js";
export { snapshot } from "./snapshot.js";
export { type ResultType, truthy, typeOfResult } from "./values.js";

export interface CompiledExpression {
  readonly source: string;
  /** The context names the expression reads, so a caller can build only the context it needs. */
  readonly names: ReadonlySet<string>;
  /** The value of the expression in `context` (a JSON value); throws ExpressionError. */
  evaluate(context: Record<string, unknown>): unknown;
}

/** The reply of the debugger's evaluate endpoint: a result and its type, or an error message. */
export interface EvaluationReply {
  result: unknown;
  type: ResultType | null;
  error: string | null;
}

/** The names `compile` accepts in a call, in the order of the docs. */
export const FUNCTION_NAMES: readonly string[] = Object.freeze(Object.keys(BUILTIN_FUNCTIONS));

export const EXPRESSION_LIMITS = Object.freeze({
  maxSourceBytes: MAX_SOURCE_BYTES,
  maxDepth: MAX_DEPTH,
  maxSteps: MAX_STEPS,
  itemsPerStep: ITEMS_PER_STEP,
  maxProduced: MAX_PRODUCED,
  maxExponent: MAX_EXPONENT,
  maxValueDepth: MAX_VALUE_DEPTH,
});

/**
 * Stack exhaustion is prevented by the depth bounds; should it happen anyway it must still surface as
 * an ExpressionError (a bad expression), never as a crash of the caller.
 */
function asExpressionFailure(error: unknown): unknown {
  return error instanceof RangeError ? new ExpressionError("Expression too complex") : error;
}

/** Parses and checks `source`; throws ExpressionError (with `position` for syntax errors). */
export function compile(source: string): CompiledExpression {
  if (typeof source !== "string") throw new ExpressionError("expression must be a string");
  let tree: ReturnType<typeof compileTree>;
  try {
    tree = compileTree(parse(source));
  } catch (error) {
    throw asExpressionFailure(error);
  }
  const { run, nodeCount, names } = tree;
  return Object.freeze({
    source,
    names,
    evaluate(context: Record<string, unknown>): unknown {
      if (typeof context !== "object" || context === null || Array.isArray(context)) {
        throw new ExpressionError("context must be an object");
      }
      try {
        return run(new Evaluation(context, nodeCount));
      } catch (error) {
        throw asExpressionFailure(error);
      }
    },
  });
}

/** Recently compiled expressions, for callers that evaluate by source text; bounded, oldest out. */
const recent = new Map<string, CompiledExpression>();
const RECENT_CAPACITY = 256;

function compileCached(source: string): CompiledExpression {
  const cached = recent.get(source);
  if (cached !== undefined) {
    recent.delete(source);
    recent.set(source, cached);
    return cached;
  }
  const compiled = compile(source);
  recent.set(source, compiled);
  if (recent.size > RECENT_CAPACITY) recent.delete(recent.keys().next().value as string);
  return compiled;
}

/** Compiles (or reuses) `source` and evaluates it in `context`; throws ExpressionError. */
export function evaluate(source: string, context: Record<string, unknown>): unknown {
  if (typeof source !== "string") throw new ExpressionError("expression must be a string");
  return compileCached(source).evaluate(context);
}

/**
 * Evaluates and shapes the outcome as the evaluate endpoint replies: `{result, type, error: null}`, or
 * `{result: null, type: null, error}` when the expression fails. The result is a snapshot, so it
 * shares nothing with the context and is plain JSON even when the context was a live object.
 */
export function tryEvaluate(source: string, context: Record<string, unknown>): EvaluationReply {
  try {
    const result = snapshot(evaluate(source, context));
    return { result, type: typeOfResult(result), error: null };
  } catch (error) {
    if (error instanceof ExpressionError) return { result: null, type: null, error: error.message };
    throw error;
  }
}
