/**
 * What the operators do to values. No operator converts a type into another: mixing types is an
 * error that says so, rather than JavaScript's coercions (`'a' + 1`, `'2' < 10`, `null + 1`).
 * The logical operators live in the interpreter, because they decide whether an operand runs at all.
 */
import { assertStringSize, type Evaluation } from "./budget.js";
import { ExpressionError } from "./errors.js";
import { MAX_EXPONENT } from "./limits.js";
import { assertAllowedKey, describe, isPlainObject, isTrustedArray, MISSING, readOwn } from "./values.js";

export type ArithmeticOperator = "-" | "*" | "/" | "%" | "**";
export type ComparisonOperator = "<" | "<=" | ">" | ">=";

function unsupported(operator: string, left: unknown, right: unknown, hint = ""): ExpressionError {
  return new ExpressionError(
    `'${operator}' is not supported between ${describe(left)} and ${describe(right)}${hint}`,
  );
}

function finite(result: number, operator: string): number {
  if (Number.isFinite(result)) return result;
  throw new ExpressionError(`result of '${operator}' is not a finite number`);
}

/** `+`: numbers add, strings concatenate; any other pair is an error. */
export function add(left: unknown, right: unknown, evaluation: Evaluation): unknown {
  if (typeof left === "number" && typeof right === "number") return finite(left + right, "+");
  if (typeof left === "string" && typeof right === "string") {
    const length = left.length + right.length;
    assertStringSize(length);
    evaluation.charge(length);
    return left + right;
  }
  const mixesString = typeof left === "string" || typeof right === "string";
  throw unsupported("+", left, right, mixesString ? " (convert with str() first)" : "");
}

/** `- * / % **` on numbers. `%` keeps the sign of the left side, as in JavaScript. */
export function arithmetic(operator: ArithmeticOperator, left: unknown, right: unknown): number {
  if (typeof left !== "number" || typeof right !== "number") throw unsupported(operator, left, right);
  switch (operator) {
    case "-":
      return finite(left - right, operator);
    case "*":
      return finite(left * right, operator);
    case "/":
      if (right === 0) throw new ExpressionError("division by zero");
      return finite(left / right, operator);
    case "%":
      if (right === 0) throw new ExpressionError("division by zero");
      return finite(left % right, operator);
    case "**":
      if (Math.abs(right) > MAX_EXPONENT) {
        throw new ExpressionError(`exponent ${right} is out of range (at most ${MAX_EXPONENT} either way)`);
      }
      return finite(left ** right, operator);
  }
}

/** `< <= > >=` between two numbers or two strings (strings by UTF-16 code units, like JavaScript). */
export function compare(operator: ComparisonOperator, left: unknown, right: unknown): boolean {
  const comparable =
    (typeof left === "number" && typeof right === "number") ||
    (typeof left === "string" && typeof right === "string");
  if (!comparable) throw unsupported(operator, left, right);
  const a = left as number | string;
  const b = right as number | string;
  switch (operator) {
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    case ">=":
      return a >= b;
  }
}

/** Unary `-` and `+`: numbers only (`+` does not convert, unlike JavaScript). */
export function unaryNumber(operator: "-" | "+", operand: unknown): number {
  if (typeof operand !== "number") {
    throw new ExpressionError(`unary '${operator}' is not supported for ${describe(operand)}`);
  }
  return operator === "-" ? -operand : operand;
}

/**
 * `item in container`: an element of an array (strict equality), a substring of a string, or an own
 * key of an object. `operator` names the caller in messages (`in`, `not in`, `contains()`).
 */
export function isMember(
  item: unknown,
  container: unknown,
  evaluation: Evaluation,
  operator = "in",
): boolean {
  if (Array.isArray(container)) {
    // indexOf compares with ===, and reading a trusted array directly runs no code.
    if (isTrustedArray(container, evaluation)) {
      evaluation.charge(container.length);
      return container.indexOf(item) !== -1;
    }
    evaluation.spend(container.length);
    for (let i = 0; i < container.length; i++) {
      const element = readOwn(container, i);
      if ((element === MISSING ? null : element) === item) return true;
    }
    return false;
  }
  if (typeof container === "string") {
    if (typeof item !== "string") {
      throw new ExpressionError(
        `'${operator}' with a string on the right needs a string on the left, not ${describe(item)}`,
      );
    }
    evaluation.charge(container.length);
    return container.includes(item);
  }
  if (isPlainObject(container)) {
    if (typeof item !== "string") {
      throw new ExpressionError(
        `'${operator}' with an object on the right needs a string key on the left, not ${describe(item)}`,
      );
    }
    assertAllowedKey(item);
    // Only whether the key exists: an accessor property counts, and its getter is not run.
    return Object.getOwnPropertyDescriptor(container, item) !== undefined;
  }
  throw new ExpressionError(
    `'${operator}' needs an array, string or object on the right, not ${describe(container)}`,
  );
}
