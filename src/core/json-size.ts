/** Deeper than this a payload is refused rather than walked: it is a cycle, or meant to exhaust the stack. */
export const MAX_JSON_DEPTH = 1000;

/** What a number costs in JSON on average; close enough for a budget, and no String(n) per number. */
const NUMBER_BYTES = 8;

/**
 * The size of `value` as JSON, estimated without building the string: strings count their length (escapes and
 * multi-byte characters aside), numbers a flat 8. The memory limits count in this unit. A 1 MB string shared by a
 * thousand payloads costs one `length` read each, where JSON.stringify would copy it a thousand times.
 * Throws a RangeError on a value nested deeper than MAX_JSON_DEPTH (a cycle, or an attack on the stack).
 */
export function jsonSize(value: unknown): number {
  return sizeOf(value, 0);
}

function sizeOf(value: unknown, depth: number): number {
  switch (typeof value) {
    case "string":
      return value.length + 2;
    case "number":
      return NUMBER_BYTES;
    case "boolean":
      return 5;
    case "bigint":
      return NUMBER_BYTES;
    case "object":
      return value === null ? 4 : objectSize(value, depth + 1);
    default:
      return 0; // undefined, functions and symbols are left out of JSON
  }
}

function objectSize(value: object, depth: number): number {
  if (depth > MAX_JSON_DEPTH)
    throw new RangeError(`payload is nested more than ${MAX_JSON_DEPTH} levels deep`);
  if (Array.isArray(value)) {
    let size = 2;
    for (let i = 0; i < value.length; i++) size += sizeOf(value[i], depth) + 1;
    return size;
  }
  const proto = Object.getPrototypeOf(value);
  // Class instances (a Date, a timer handle a routine keeps in its state) are not walked: JSON has its own
  // rules for them, and some hold cycles into the runtime.
  if (proto !== Object.prototype && proto !== null) return 16;
  let size = 2;
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) size += key.length + 4 + sizeOf(record[key], depth);
  return size;
}
