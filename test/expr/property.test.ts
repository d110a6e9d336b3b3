/**
 * Generated inputs: whatever the source, compiling and evaluating it either gives a JSON value or
 * throws an ExpressionError, quickly; and a snapshot of the context gives the same outcome as the
 * plain JSON it was made from.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  compile,
  ExpressionError,
  FUNCTION_NAMES,
  snapshot,
  tryEvaluate,
  typeOfResult,
} from "../../src/expr/index.js";

const CONTEXT: Record<string, unknown> = {
  n: 3,
  x: -1.5,
  big: 1e300,
  s: "abc",
  e: "",
  t: true,
  f: false,
  nil: null,
  xs: [1, 2, 3],
  ws: ["b", "a"],
  mixed: [1, "a", null, [2], { k: 1 }],
  o: { a: 1, b: "x", c: null },
  deep: { l: [{ m: 1 }] },
};
const SNAPSHOT = snapshot(CONTEXT) as Record<string, unknown>;

function isJsonValue(value: unknown, depth = 0): boolean {
  if (depth > 100) return false;
  if (value === null || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((item) => isJsonValue(item, depth + 1));
  if (typeof value === "object") {
    const prototype = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) return false;
    return Object.values(value).every((item) => isJsonValue(item, depth + 1));
  }
  return false;
}

type Outcome = { value: unknown } | { error: string };

/** Compiles and evaluates `source` once; returns what happened and how long it took. */
function attempt(source: string, context: Record<string, unknown>): { outcome: Outcome; elapsed: number } {
  const started = performance.now();
  try {
    const value = compile(source).evaluate(context);
    return { outcome: { value }, elapsed: performance.now() - started };
  } catch (error) {
    if (!(error instanceof ExpressionError)) {
      throw new Error(`${JSON.stringify(source)} threw ${String(error)}, not an ExpressionError`);
    }
    return { outcome: { error: error.message }, elapsed: performance.now() - started };
  }
}

/**
 * Compiles and evaluates `source`, asserting the contract; returns what happened. The time bound is
 * checked on the best of up to three runs, so that a pause of a busy machine (GC, other processes) is
 * not taken for the cost of the input: an input that is really slow is slow every time.
 */
function outcomeOf(source: string, context: Record<string, unknown>): Outcome {
  const first = attempt(source, context);
  let fastest = first.elapsed;
  for (let retry = 0; retry < 2 && fastest >= 100; retry++)
    fastest = Math.min(fastest, attempt(source, context).elapsed);
  expect(fastest).toBeLessThan(100);
  const { outcome } = first;
  if ("error" in outcome) expect(outcome.error.length).toBeGreaterThan(0);
  else expect(isJsonValue(outcome.value)).toBe(true);
  return outcome;
}

function checkSource(source: string): void {
  const plain = outcomeOf(source, CONTEXT);
  const snapshotted = outcomeOf(source, SNAPSHOT);
  expect(snapshotted).toEqual(plain);
  const reply = tryEvaluate(source, CONTEXT);
  if ("value" in plain)
    expect(reply).toEqual({ result: plain.value, type: typeOfResult(plain.value), error: null });
  else expect(reply).toEqual({ result: null, type: null, error: plain.error });
}

const NAMES = [...Object.keys(CONTEXT), "missing", "len"];
const HOSTILE_NAMES = ["constructor", "__proto__", "this", "prototype"];
const BINARY = ["+", "-", "*", "/", "%", "**", "==", "!=", "===", "!==", "<", "<=", ">", ">="];
const WORDY = ["and", "or", "&&", "||", "??", "in", "not in", "is", "is not"];

const literal = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).map(String),
  fc.constantFrom("0", "1e308", "0.5", "2", "1000", "1001"),
  fc.string({ maxLength: 6 }).map((text) => JSON.stringify(text)),
  fc.constantFrom("'length'", "'a'", "''", "'constructor'", "'__proto__'"),
  fc.constantFrom("true", "false", "null"),
);

type Grammar = Record<
  "expression" | "leaf" | "binary" | "unary" | "call" | "member" | "conditional" | "array",
  string
>;
const { expression } = fc.letrec<Grammar>((tie) => ({
  expression: fc.oneof(
    { maxDepth: 6, depthSize: "small", withCrossShrink: true },
    tie("leaf"),
    tie("binary"),
    tie("unary"),
    tie("call"),
    tie("member"),
    tie("conditional"),
    tie("array"),
  ),
  leaf: fc.oneof(
    { arbitrary: literal, weight: 10 },
    { arbitrary: fc.constantFrom(...NAMES), weight: 10 },
    { arbitrary: fc.constantFrom(...HOSTILE_NAMES), weight: 1 },
  ),
  binary: fc
    .tuple(tie("expression"), fc.constantFrom(...BINARY, ...WORDY), tie("expression"), fc.boolean())
    .map(([left, operator, right, grouped]) => {
      const text = `${left} ${operator} ${right}`;
      return grouped ? `(${text})` : text;
    }),
  unary: fc
    .tuple(fc.constantFrom("-", "+", "!", "not "), tie("expression"), fc.boolean())
    .map(([operator, operand, grouped]) => (grouped ? `${operator}(${operand})` : `${operator}${operand}`)),
  call: fc
    .tuple(fc.constantFrom(...FUNCTION_NAMES, "eval"), fc.array(tie("expression"), { maxLength: 3 }))
    .map(([name, args]) => `${name}(${args.join(", ")})`),
  member: fc
    .tuple(
      tie("expression"),
      fc.oneof(
        {
          arbitrary: fc.constantFrom(".a", ".b", ".l", ".m", ".length", "?.a", "?.[0]", "[0]", "[1]", "[-1]"),
          weight: 10,
        },
        { arbitrary: fc.constantFrom(".constructor", "?.__proto__"), weight: 1 },
        { arbitrary: tie("expression").map((key) => `[${key}]`), weight: 5 },
      ),
    )
    .map(([object, access]) => `(${object})${access}`),
  conditional: fc
    .tuple(tie("expression"), tie("expression"), tie("expression"))
    .map(([test, consequent, alternate]) => `(${test} ? ${consequent} : ${alternate})`),
  array: fc.array(tie("expression"), { maxLength: 4 }).map((items) => `[${items.join(", ")}]`),
}));

const TOKENS = [
  ...NAMES,
  ...HOSTILE_NAMES,
  ...BINARY,
  ...WORDY,
  ...FUNCTION_NAMES,
  "not",
  "(",
  ")",
  "[",
  "]",
  ",",
  ".",
  "?.",
  "?",
  ":",
  ";",
  "=",
  "=>",
  "`",
  "/",
  "{",
  "}",
  "'",
  '"',
  "\\",
  "1",
  "1.5e3",
  "'x'",
  "new",
  "@",
  "#",
];
const tokenSoup = fc
  .tuple(fc.array(fc.constantFrom(...TOKENS), { maxLength: 25 }), fc.constantFrom("", " ", "  ", "\n"))
  .map(([tokens, separator]) => tokens.join(separator));

describe("generated sources never escape the contract", () => {
  test("random text", () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.string({ unit: "binary" })), checkSource), {
      numRuns: 500,
    });
  });

  test("random token sequences", () => {
    fc.assert(fc.property(tokenSoup, checkSource), { numRuns: 1000 });
  });

  test("random expressions of the grammar", () => {
    fc.assert(fc.property(expression, checkSource), { numRuns: 1500 });
  });
});
