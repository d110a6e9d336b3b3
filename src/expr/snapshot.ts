import { MAX_VALUE_DEPTH } from "./limits.js";
import { vetSnapshotArray } from "./values.js";

/**
 * A JSON-safe, deeply frozen copy of `value`, for building an expression context from live data (the
 * spec's "the context is a JSON snapshot"): plain objects and arrays only, nothing shared with the
 * original. Frozen, so that it stays plain data; its arrays are then also read faster by expressions,
 * which otherwise have to check every element they walk (see values.ts, vetSnapshotArray).
 *
 * Like JSON.stringify, functions, symbols and undefined are dropped from objects and become null in
 * arrays, non-finite numbers become null, Dates become ISO text, and other objects (class instances,
 * Maps, errors) keep their own enumerable properties. Unlike it, getters are never run (accessor
 * properties are left out), `toJSON` is not called, a cycle becomes null instead of throwing, bigints
 * become text, and anything deeper than `maxDepth` becomes null.
 */
export function snapshot(value: unknown, maxDepth: number = MAX_VALUE_DEPTH): unknown {
  const ancestors = new Set<object>();

  const copy = (current: unknown, depth: number): unknown => {
    switch (typeof current) {
      case "string":
      case "boolean":
        return current;
      case "number":
        return Number.isFinite(current) ? current : null;
      case "bigint":
        return current.toString();
      case "object":
        break;
      default:
        return undefined; // function, symbol, undefined: dropped from objects, null in arrays
    }
    if (current === null) return null;
    if (current instanceof Date) return Number.isNaN(current.getTime()) ? null : current.toISOString();
    if (depth >= maxDepth || ancestors.has(current)) return null;
    ancestors.add(current);
    try {
      if (Array.isArray(current)) {
        const items = new Array<unknown>(current.length);
        for (let i = 0; i < current.length; i++) items[i] = copy(dataProperty(current, i), depth + 1) ?? null;
        vetSnapshotArray(items);
        return items;
      }
      const result: Record<string, unknown> = {};
      for (const key of Object.keys(current)) {
        const item = copy(dataProperty(current, key), depth + 1);
        if (item === undefined) continue;
        // Assignment of "__proto__" would set the prototype; define it as the plain own key it was.
        if (key === "__proto__") {
          Object.defineProperty(result, key, {
            value: item,
            enumerable: true,
            writable: true,
            configurable: true,
          });
        } else {
          result[key] = item;
        }
      }
      return Object.freeze(result);
    } finally {
      ancestors.delete(current);
    }
  };

  return copy(value, 0) ?? null;
}

/** The value of an own data property; undefined for an accessor (not run) or a missing one. */
function dataProperty(target: object, key: string | number): unknown {
  const descriptor = Object.getOwnPropertyDescriptor(target, key);
  return descriptor !== undefined && Object.hasOwn(descriptor, "value") ? descriptor.value : undefined;
}
