/**
 * Routilux expressions (docs/expressions.md): a small, sandboxed language
 * for breakpoint conditions, the debugger's evaluate and flow-level conditions.
 *
 * Compile once, evaluate many times: `compile` parses and checks the source (syntax, bounds, names of
 * functions, forbidden keys) and returns a closure tree; `evaluate` on it reads only own data
 * properties of the context and is bounded in steps and in what it produces. Every failure, at either
 * stage, is an `ExpressionError` with a message meant for the person who wrote the expression.
 */
import { Bindings } from "./bindings.js";
import { Evaluation, type StepBudget } from "./budget.js";
import { ExpressionError } from "./errors.js";
import { BUILTIN_FUNCTIONS } from "./functions.js";
import { type CompiledTree, compileTree } from "./interpreter.js";
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

export { Bindings } from "./bindings.js";
export { StepBudget } from "./budget.js";
export { ExpressionError, StepLimitError } from "./errors.js";
export { snapshot } from "./snapshot.js";
export { type ResultType, truthy, typeOfResult } from "./values.js";

export interface CompiledExpression {
  readonly source: string;
  /** The context names the expression reads, so a caller can build only the context it needs. */
  readonly names: ReadonlySet<string>;
  /** The value of the expression in `context` (a JSON value); throws ExpressionError. */
  evaluate(context: Record<string, unknown>): unknown;
  /**
   * The value of the expression over `bindings`, which many expressions at one place can share, spending its
   * steps from `budget` when given (a `StepLimitError` once that runs out).
   */
  evaluateIn(bindings: Bindings, budget?: StepBudget): unknown;
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
  let tree: CompiledTree;
  try {
    tree = compileTree(parse(source));
  } catch (error) {
    throw asExpressionFailure(error);
  }
  return Object.freeze(new Compiled(source, tree));
}

/**
 * A class rather than closures per expression, so that the many conditions a debugger holds share one
 * `evaluateIn`, which the JIT can then inline where they are checked.
 */
class Compiled implements CompiledExpression {
  readonly names: ReadonlySet<string>;
  readonly #run: CompiledTree["run"];
  readonly #nodeCount: number;
  // One Evaluation per expression, reused: a breakpoint condition runs on every delivery, and allocating one each
  // time is a good part of the garbage the debugger makes. Nothing an expression does calls back into it, but
  // should anything ever re-enter (a Proxy in a context), that run gets an object of its own.
  readonly #reusable = new Evaluation();

  constructor(
    readonly source: string,
    tree: CompiledTree,
  ) {
    this.names = tree.names;
    this.#run = tree.run;
    this.#nodeCount = tree.nodeCount;
  }

  evaluate(context: Record<string, unknown>): unknown {
    return this.evaluateIn(new Bindings(context));
  }

  evaluateIn(bindings: Bindings, budget?: StepBudget): unknown {
    const evaluation = this.#reusable.running ? new Evaluation() : this.#reusable;
    const limit = budget === undefined ? MAX_STEPS : Math.min(MAX_STEPS, budget.remaining);
    try {
      return this.#run(evaluation.begin(bindings, this.#nodeCount, limit));
    } catch (error) {
      throw asExpressionFailure(error);
    } finally {
      if (budget !== undefined) budget.remaining -= evaluation.spent;
      evaluation.end();
    }
  }
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
