import type { JsonObject } from "../../core/types.js";

/** The list at `key` of a state or shared-data record, created empty on first use. */
export function listAt(record: JsonObject, key: string): unknown[] {
  if (!Object.hasOwn(record, key)) record[key] = [];
  const list = record[key];
  if (!Array.isArray(list))
    throw new TypeError(`'${key}' holds a ${typeof list}, not a list; cannot append to it`);
  return list;
}
