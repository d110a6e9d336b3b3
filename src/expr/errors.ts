/**
 * The one error type of the expression language. Syntax errors, exceeded bounds and runtime failures
 * are all `ExpressionError`s, so a caller can treat "this expression did not produce a value" uniformly
 * (a breakpoint counts it as false; the evaluate endpoint returns its message).
 */
export class ExpressionError extends Error {
  override name = "ExpressionError";

  /**
   * Character offset in the source the error points at, when known. Syntax errors always have one
   * (and also say it in the message: "... at character 7"); compile-time checks such as a disallowed
   * function set it without changing the message; runtime errors have none.
   */
  readonly position?: number;

  constructor(message: string, position?: number) {
    super(message);
    if (position !== undefined) this.position = position;
  }
}

/** An evaluation ran out of steps: its own bound, or the smaller allowance of a shared `StepBudget`. */
export class StepLimitError extends ExpressionError {
  constructor(readonly limit: number) {
    super(`expression exceeded ${limit} steps`);
  }
}
