/** The bounds of docs/expressions.md ("Bounds"); every one is enforced with an ExpressionError. */

/** Largest source accepted, in UTF-8 bytes. */
export const MAX_SOURCE_BYTES = 4096;

/** Deepest syntax tree (and deepest nesting of brackets) accepted. */
export const MAX_DEPTH = 64;

/** Most steps one evaluation may take: one per node of the expression plus the work of functions. */
export const MAX_STEPS = 10_000;

/** Functions and operators that walk a string or an array charge one step per this many items. */
export const ITEMS_PER_STEP = 100;

/** Longest string, and largest array, an expression may produce. */
export const MAX_PRODUCED = 100_000;

/** Largest absolute exponent of `**`. */
export const MAX_EXPONENT = 1000;

/** Deepest value `str()` renders and `snapshot()` copies; deeper parts are an error or dropped. */
export const MAX_VALUE_DEPTH = 64;
