import type { JsonObject } from "../../core/types.js";

/**
 * Dotted field paths (`user.address.city`, `items.0.id`) read from payloads. Only own properties are read,
 * so no path reaches a prototype; a segment that is missing reads as undefined.
 */

const SEGMENT = "[A-Za-z0-9_$:-]+";
const PATH_PATTERN = new RegExp(`^${SEGMENT}(\\.${SEGMENT})*$`);

export const PATH_RULE = 'a field name or a dotted path like "user.name" (letters, digits, _ $ : -)';

export const isFieldPath = (text: string): boolean => PATH_PATTERN.test(text);

export function readPath(root: JsonObject, path: string): unknown {
  let value: unknown = root;
  for (const segment of path.split(".")) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

/** The first segment: the payload field a path starts from. */
export const rootField = (path: string): string => path.split(".", 1)[0]!;
