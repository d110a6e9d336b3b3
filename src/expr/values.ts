/**
 * The values expressions work on: JSON values, read from a context without ever running its code.
 *
 * Reads go through `Object.getOwnPropertyDescriptor`, so only own *data* properties are seen: a
 * prototype is never consulted and a getter is never invoked, even when a caller hands in a live
 * object instead of a snapshot. Anything that is not JSON data is an error at the moment it is read.
 */
import type { Evaluation } from "./budget.js";
import { ExpressionError } from "./errors.js";

export type ResultType = "number" | "string" | "boolean" | "null" | "array" | "object";

/** Keys that lead to prototypes, constructors or accessor tricks; an error wherever they are used as a key. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set([
  "__proto__",
  "prototype",
  "constructor",
  "__defineGetter__",
  "__defineSetter__",
  "__lookupGetter__",
  "__lookupSetter__",
]);

export function assertAllowedKey(key: string, position?: number): void {
  if (FORBIDDEN_KEYS.has(key)) throw new ExpressionError(`access to '${key}' is not allowed`, position);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** The JSON type of a value, as it would be sent: anything JSON cannot carry counts as "null". */
export function typeOfResult(value: unknown): ResultType {
  switch (typeof value) {
    case "string":
      return "string";
    case "boolean":
      return "boolean";
    case "number":
      return Number.isFinite(value) ? "number" : "null";
    case "object":
      if (value === null) return "null";
      return Array.isArray(value) ? "array" : "object";
    default:
      return "null";
  }
}

/** Type name used in error messages: the JSON type, or what a foreign value is. */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return "array";
  switch (typeof value) {
    case "object":
      return isPlainObject(value) ? "object" : "non-plain object";
    case "number":
      return Number.isFinite(value) ? "number" : "non-finite number";
    default:
      return typeof value;
  }
}

/** Python truthiness (the `bool()` function): 0, "", [], {} and null are false. */
export function truthy(value: unknown): boolean {
  if (value === true) return true;
  if (value === false || value === null || value === undefined) return false;
  switch (typeof value) {
    case "number":
      return value !== 0;
    case "string":
      return value.length > 0;
    case "object":
      if (Array.isArray(value)) return value.length > 0;
      // Own keys only (a for-in loop would also walk the prototype chain).
      return Object.keys(value).length > 0;
    default:
      return true;
  }
}

/**
 * A value read out of a context, checked to be JSON data. `undefined` reads as null; functions,
 * symbols, bigints, non-finite numbers and class instances (Date, Map, engine objects) are errors.
 * Arrays and plain objects are checked shallowly; their members are checked when they are read.
 */
export function asJsonValue(value: unknown, key: string | number): unknown {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      if (Number.isFinite(value)) return value;
      break;
    case "undefined":
      return null;
    case "object":
      if (value === null || Array.isArray(value) || isPlainObject(value)) return value;
      break;
  }
  throw new ExpressionError(`value of '${key}' is a ${describe(value)}, not JSON data`);
}

/** Marks "no such own property", which the callers turn into null or "unknown name". */
export const MISSING: unique symbol = Symbol("missing");

/** The own data property `key` of `target`, checked as JSON; MISSING when there is none. */
export function readOwn(target: object, key: string | number): unknown {
  const descriptor = Object.getOwnPropertyDescriptor(target, key);
  if (descriptor === undefined) return MISSING;
  // An accessor has no own `value`; reading it would run its getter, so it is refused.
  if (!Object.hasOwn(descriptor, "value")) {
    throw new ExpressionError(`'${key}' is an accessor property and cannot be read`);
  }
  return asJsonValue(descriptor.value, key);
}

/** A name of the expression: an own property of the context, nothing inherited. */
export function readName(context: object, name: string): unknown {
  const value = readOwn(context, name);
  if (value === MISSING) throw new ExpressionError(`unknown name '${name}'`);
  return value;
}

/**
 * Arrays known to hold only JSON data elements: the frozen arrays `snapshot()` makes. Reading an
 * element of any other array needs its property descriptor (an accessor must not run), which costs
 * hundreds of nanoseconds per element in V8; these can be read directly.
 */
const snapshotArrays = new WeakSet<object>();

/** Freezes `array` (so no accessor can be added later) and records it as holding only JSON data. */
export function vetSnapshotArray(array: unknown[]): void {
  Object.freeze(array);
  snapshotArrays.add(array);
}

/** Whether the elements of `array` can be read directly: a snapshot's, or built by this evaluation. */
export function isTrustedArray(array: readonly unknown[], evaluation: Evaluation): boolean {
  return snapshotArrays.has(array) || evaluation.hasBuilt(array);
}

/**
 * The items of an array, checked as JSON (holes read as null), after charging for the walk: a
 * trusted array costs one step per ITEMS_PER_STEP items, any other one step per item, because each
 * of its elements is read through a descriptor.
 */
export function arrayItems(array: readonly unknown[], evaluation: Evaluation): readonly unknown[] {
  if (isTrustedArray(array, evaluation)) {
    evaluation.charge(array.length);
    return array;
  }
  evaluation.spend(array.length);
  const items = new Array<unknown>(array.length);
  for (let i = 0; i < array.length; i++) {
    const value = readOwn(array, i);
    items[i] = value === MISSING ? null : value;
  }
  return items;
}

function keyText(key: unknown): string {
  return typeof key === "string" || typeof key === "number" ? String(key) : describe(key);
}

/**
 * `target[key]` with the language's rules: objects have own string keys (a missing key is null);
 * arrays and strings have integer indices (past the end is null) and `length`; nothing else has members.
 */
export function readMember(target: unknown, key: unknown): unknown {
  if (typeof key === "string") assertAllowedKey(key);
  if (typeof target === "string") return readSequenceMember(target, key, "string");
  if (typeof target !== "object" || target === null) {
    throw new ExpressionError(`cannot read '${keyText(key)}' of ${describe(target)}`);
  }
  if (Array.isArray(target)) return readSequenceMember(target, key, "array");
  if (typeof key !== "string") {
    const shown = typeof key === "number" ? `number (${key})` : describe(key);
    throw new ExpressionError(`object keys are strings, not ${shown}`);
  }
  const value = readOwn(target, key);
  return value === MISSING ? null : value;
}

function readSequenceMember(
  sequence: string | readonly unknown[],
  key: unknown,
  kind: "string" | "array",
): unknown {
  if (typeof key === "number") {
    if (!Number.isInteger(key)) throw new ExpressionError(`${kind} index must be an integer, not ${key}`);
    if (key < 0) throw new ExpressionError(`${kind} index must not be negative, not ${key}`);
    if (key >= sequence.length) return null;
    if (typeof sequence === "string") return sequence[key];
    if (snapshotArrays.has(sequence)) return sequence[key];
    const value = readOwn(sequence, key);
    return value === MISSING ? null : value;
  }
  if (key === "length") return sequence.length;
  throw new ExpressionError(`${kind}s have only integer indices and 'length', not '${keyText(key)}'`);
}
