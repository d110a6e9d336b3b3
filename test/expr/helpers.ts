import { compile, ExpressionError } from "../../src/expr/index.js";

/** The value of `source` in `context`; fails the test if it throws. */
export function run(source: string, context: Record<string, unknown> = {}): unknown {
  return compile(source).evaluate(context);
}

/** The ExpressionError `source` fails with (at compile or evaluation time); fails the test otherwise. */
export function failure(source: string, context: Record<string, unknown> = {}): ExpressionError {
  try {
    compile(source).evaluate(context);
  } catch (error) {
    if (error instanceof ExpressionError) return error;
    throw new Error(`expected an ExpressionError from ${JSON.stringify(source)}, got ${String(error)}`);
  }
  throw new Error(`expected ${JSON.stringify(source)} to fail, but it evaluated`);
}

/** The message `source` fails with. */
export const errorOf = (source: string, context: Record<string, unknown> = {}) =>
  failure(source, context).message;
