/**
 * Keys that come from payloads or ids are data: `constructor`, `toString` or `__proto__` is a key like any other.
 * Reads go through Object.hasOwn (a plain object inherits `toString`); a write of `__proto__` defines the key
 * (assignment would set the prototype instead). Plain objects, not null-prototype ones, cross the boundaries:
 * a structured clone (Workers RPC, Durable Object storage) refuses an object without a prototype.
 */

export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === "__proto__")
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

export const getOwn = <T>(source: Record<string, T>, key: string): T | undefined =>
  Object.hasOwn(source, key) ? source[key] : undefined;

/** A plain-object copy of `source`'s own keys (a null-prototype dict, say), `__proto__` included. */
export function plainCopy<T>(source: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const key of Object.keys(source)) setOwn(out, key, source[key]!);
  return out;
}
