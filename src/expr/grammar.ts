/** The operators and reserved words of the language (docs/expressions.md, "Operators"). */

/**
 * Binding strength of the binary operators (higher binds tighter). Differences from JavaScript, on
 * purpose: `??` binds tighter than comparisons, so `score ?? 0 >= 0.5` means `(score ?? 0) >= 0.5`;
 * `in`/`not in` sit with the relational operators; `is`/`is not` with equality.
 */
export const BINARY_PRECEDENCE: Readonly<Record<string, number>> = Object.freeze({
  "||": 1,
  or: 1,
  "&&": 2,
  and: 2,
  // 3 is the word `not`, a prefix operator looser than comparisons (see NOT_PRECEDENCE).
  "==": 4,
  "!=": 4,
  "===": 4,
  "!==": 4,
  is: 4,
  "is not": 4,
  "<": 5,
  "<=": 5,
  ">": 5,
  ">=": 5,
  in: 5,
  "not in": 5,
  "??": 6,
  "+": 7,
  "-": 7,
  "*": 8,
  "/": 8,
  "%": 8,
  "**": 9,
});
export const NOT_PRECEDENCE = 3;
export const RIGHT_ASSOCIATIVE = new Set(["**"]);
/** Operators of two words; jsep only knows single tokens, so gobbleBinaryOp matches these itself. */
export const WORD_PAIRS: ReadonlyArray<readonly [string, string]> = [
  ["not", "in"],
  ["is", "not"],
];

/** Words that cannot start an operand. */
export const OPERATOR_WORDS = new Set(["and", "or", "in", "is"]);
/** JavaScript words that would otherwise parse as names and give a confusing error later. */
export const UNSUPPORTED_WORDS = new Set([
  "this",
  "new",
  "typeof",
  "void",
  "delete",
  "function",
  "import",
  "await",
  "yield",
]);
