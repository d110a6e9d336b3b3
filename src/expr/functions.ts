/**
 * The functions an expression may call: a frozen allow-list of pure, bounded functions over JSON
 * values (docs/expressions.md, "Functions"). A call names one of these by a bare identifier; the
 * interpreter checks the name and the number of arguments when the expression is compiled.
 */
import { assertArraySize, assertStringSize, type Evaluation } from "./budget.js";
import { ExpressionError } from "./errors.js";
import { toJsonText } from "./json-text.js";
import { isMember } from "./operators.js";
import { arrayItems, describe, isPlainObject, MISSING, readOwn, truthy } from "./values.js";

export interface BuiltinFunction {
  readonly minArgs: number;
  readonly maxArgs: number;
  call(args: readonly unknown[], evaluation: Evaluation): unknown;
}

function needs(name: string, what: string, value: unknown): ExpressionError {
  return new ExpressionError(`${name}() needs ${what}, not ${describe(value)}`);
}

function numberArg(name: string, value: unknown): number {
  if (typeof value !== "number") throw needs(name, "a number", value);
  return value;
}

function stringArg(name: string, value: unknown): string {
  if (typeof value !== "string") throw needs(name, "a string", value);
  return value;
}

function objectArg(name: string, value: unknown): Record<string, unknown> {
  if (!isPlainObject(value)) throw needs(name, "an object", value);
  return value;
}

/** The checked items of an array argument, after charging for walking them. */
function itemsArg(name: string, value: unknown, evaluation: Evaluation): readonly unknown[] {
  if (!Array.isArray(value)) throw needs(name, "an array", value);
  return arrayItems(value, evaluation);
}

/** Items that are all numbers or all strings, so that ordering them means one thing. */
function orderable(name: string, items: readonly unknown[]): ReadonlyArray<number | string> {
  const kind = typeof items[0];
  if ((kind !== "number" && kind !== "string") || items.some((item) => typeof item !== kind)) {
    const odd = items.find((item) => typeof item !== "number" && typeof item !== "string");
    const detail = odd === undefined ? "a mix of numbers and strings" : describe(odd);
    throw new ExpressionError(`${name}() needs all numbers or all strings, not ${detail}`);
  }
  return items as ReadonlyArray<number | string>;
}

/** Adding 0 turns -0 into 0, which JSON cannot tell apart anyway and str() would print as "0" too. */
const withoutNegativeZero = (value: number) => value + 0;

const NUMERIC_TEXT = /^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

/** int()/float() of a value: numbers as they are, booleans as 1/0, numeric strings parsed. */
function toNumber(name: string, value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "string") {
    if (!NUMERIC_TEXT.test(value)) {
      const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
      throw new ExpressionError(`${name}() cannot convert '${shown}' to a number`);
    }
    const parsed = Number(value);
    if (!Number.isFinite(parsed)) throw new ExpressionError(`${name}() result is not a finite number`);
    return parsed;
  }
  throw needs(name, "a number, numeric string or boolean", value);
}

/** Moves the decimal point of `value` by `places` exactly, via its shortest decimal text. */
function shiftDecimal(value: number, places: number): number {
  const [mantissa, exponent] = value.toExponential().split("e");
  return Number(`${mantissa}e${Number(exponent) + places}`);
}

/**
 * Rounds half away from zero at `digits` decimal places, on the decimal text of the number (so
 * round(2.675, 2) is 2.68, as written, although the binary double is slightly below 2.675).
 */
function roundHalfAwayFromZero(value: number, digits: number): number {
  if (digits === 0) return withoutNegativeZero(Math.sign(value) * Math.round(Math.abs(value)));
  const magnitude = Math.abs(value);
  if (magnitude === 0) return 0;
  const shifted = shiftDecimal(magnitude, digits);
  // Beyond 2^53 every double is already an integer: there is nothing left to round.
  if (!(shifted < 2 ** 53)) return withoutNegativeZero(value);
  const rounded = Math.round(shifted);
  const result = rounded === 0 ? 0 : shiftDecimal(rounded, -digits);
  return withoutNegativeZero(Math.sign(value) * result);
}

function extreme(name: "min" | "max", args: readonly unknown[], evaluation: Evaluation): unknown {
  const items = args.length === 1 ? itemsArg(name, args[0], evaluation) : args;
  if (items.length === 0) throw new ExpressionError(`${name}() of an empty array`);
  const values = orderable(name, items);
  let best = values[0]!;
  for (const value of values) if (name === "min" ? value < best : value > best) best = value;
  return best;
}

function builtin(minArgs: number, maxArgs: number, call: BuiltinFunction["call"]): BuiltinFunction {
  return Object.freeze({ minArgs, maxArgs, call });
}

const unary = (call: (value: unknown, evaluation: Evaluation) => unknown) =>
  builtin(1, 1, (args, evaluation) => call(args[0], evaluation));

const entries: Record<string, BuiltinFunction> = {
  len: unary((value, evaluation) => {
    if (typeof value === "string" || Array.isArray(value)) return value.length;
    if (isPlainObject(value)) {
      const count = Object.keys(value).length;
      evaluation.charge(count);
      return count;
    }
    throw needs("len", "a string, array or object", value);
  }),
  abs: unary((value) => Math.abs(numberArg("abs", value))),
  min: builtin(1, Number.POSITIVE_INFINITY, (args, evaluation) => extreme("min", args, evaluation)),
  max: builtin(1, Number.POSITIVE_INFINITY, (args, evaluation) => extreme("max", args, evaluation)),
  sum: unary((value, evaluation) => {
    let total = 0;
    for (const item of itemsArg("sum", value, evaluation)) total += numberArg("sum", item);
    if (!Number.isFinite(total)) throw new ExpressionError("sum() result is not a finite number");
    return total;
  }),
  round: builtin(1, 2, ([value, digits = 0]) => {
    const number = numberArg("round", value);
    const places = numberArg("round", digits);
    if (!Number.isInteger(places) || Math.abs(places) > 300) {
      throw new ExpressionError(`round() digits must be an integer from -300 to 300, not ${places}`);
    }
    return roundHalfAwayFromZero(number, places);
  }),
  floor: unary((value) => withoutNegativeZero(Math.floor(numberArg("floor", value)))),
  ceil: unary((value) => withoutNegativeZero(Math.ceil(numberArg("ceil", value)))),
  str: unary((value, evaluation) => {
    if (typeof value === "string") return value;
    if (typeof value === "number" || typeof value === "boolean" || value === null) return String(value);
    return toJsonText(value, evaluation);
  }),
  int: unary((value) => withoutNegativeZero(Math.trunc(toNumber("int", value)))),
  float: unary((value) => toNumber("float", value)),
  bool: unary((value) => truthy(value)),
  keys: unary((value, evaluation) => {
    const keys = Object.keys(objectArg("keys", value));
    assertArraySize(keys.length);
    evaluation.charge(keys.length);
    return evaluation.adopt(keys);
  }),
  values: unary((value, evaluation) => {
    const object = objectArg("values", value);
    const keys = Object.keys(object);
    assertArraySize(keys.length);
    evaluation.charge(keys.length);
    return evaluation.adopt(
      keys.map((key) => {
        const item = readOwn(object, key);
        return item === MISSING ? null : item;
      }),
    );
  }),
  contains: builtin(2, 2, ([container, item], evaluation) =>
    isMember(item, container, evaluation, "contains()"),
  ),
  startswith: builtin(2, 2, ([text, prefix]) =>
    stringArg("startswith", text).startsWith(stringArg("startswith", prefix)),
  ),
  endswith: builtin(2, 2, ([text, suffix]) =>
    stringArg("endswith", text).endsWith(stringArg("endswith", suffix)),
  ),
  lower: unary((value, evaluation) => caseMapped("lower", value, evaluation)),
  upper: unary((value, evaluation) => caseMapped("upper", value, evaluation)),
  sorted: unary((value, evaluation) => {
    if (Array.isArray(value)) assertArraySize(value.length);
    const items = itemsArg("sorted", value, evaluation);
    if (items.length === 0) return [];
    // Sorting costs about n·log2(n) comparisons; charge them on top of the walk itemsArg charged.
    evaluation.charge(items.length * Math.ceil(Math.log2(items.length + 1)));
    const values = orderable("sorted", items);
    // Native sorts without a JavaScript comparator: numerically for numbers; for strings the default
    // order of sort() is by UTF-16 code units, the same order as `<` on strings.
    const ordered =
      typeof values[0] === "number"
        ? Array.from(Float64Array.from(values as readonly number[]).sort())
        : [...values].sort();
    return evaluation.adopt(ordered);
  }),
  any: unary((value, evaluation) => itemsArg("any", value, evaluation).some(truthy)),
  all: unary((value, evaluation) => itemsArg("all", value, evaluation).every(truthy)),
};

function caseMapped(name: "lower" | "upper", value: unknown, evaluation: Evaluation): string {
  const text = stringArg(name, value);
  evaluation.charge(text.length);
  // Some characters grow when case-mapped ("ß" → "SS"), so the bound is checked on the result.
  const mapped = name === "lower" ? text.toLowerCase() : text.toUpperCase();
  assertStringSize(mapped.length);
  return mapped;
}

/** The allow-list. Null prototype and frozen: only these names, and nobody can add one. */
export const BUILTIN_FUNCTIONS: Readonly<Record<string, BuiltinFunction>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, BuiltinFunction>, entries),
);

export function findBuiltin(name: string): BuiltinFunction | undefined {
  return Object.hasOwn(BUILTIN_FUNCTIONS, name) ? BUILTIN_FUNCTIONS[name] : undefined;
}

/** "len() takes 1 argument (2 given)" and the like, for a call with the wrong number of arguments. */
export function arityMessage(name: string, fn: BuiltinFunction, given: number): string {
  const count =
    fn.minArgs === fn.maxArgs
      ? `${fn.minArgs} argument${fn.minArgs === 1 ? "" : "s"}`
      : fn.maxArgs === Number.POSITIVE_INFINITY
        ? `at least ${fn.minArgs} argument${fn.minArgs === 1 ? "" : "s"}`
        : `${fn.minArgs} to ${fn.maxArgs} arguments`;
  return `${name}() takes ${count} (${given} given)`;
}
