import { assertStringSize, type Evaluation } from "./budget.js";
import { ExpressionError } from "./errors.js";
import { MAX_VALUE_DEPTH } from "./limits.js";
import { arrayItems, MISSING, readOwn } from "./values.js";

/**
 * Compact JSON text of a value, as `JSON.stringify` writes it, but stopping as soon as the text would
 * pass the produced-string bound or the value nests deeper than MAX_VALUE_DEPTH (so a huge or cyclic
 * live object is an error, not a long stall), and reading members the safe way (no getters).
 */
export function toJsonText(value: unknown, evaluation: Evaluation): string {
  const parts: string[] = [];
  let length = 0;
  const write = (text: string) => {
    length += text.length;
    assertStringSize(length);
    parts.push(text);
  };

  const visit = (current: unknown, depth: number): void => {
    if (depth > MAX_VALUE_DEPTH) {
      throw new ExpressionError(
        `value nested too deeply to convert to text (more than ${MAX_VALUE_DEPTH} levels)`,
      );
    }
    if (current === null || typeof current !== "object") {
      // Values reaching here were checked as JSON when read: null, boolean, finite number, string.
      write(JSON.stringify(current));
      return;
    }
    if (Array.isArray(current)) {
      const items = arrayItems(current, evaluation);
      write("[");
      for (let i = 0; i < items.length; i++) {
        if (i > 0) write(",");
        visit(items[i], depth + 1);
      }
      write("]");
      return;
    }
    const keys = Object.keys(current);
    evaluation.charge(keys.length);
    write("{");
    let first = true;
    for (const key of keys) {
      const item = readOwn(current, key);
      if (!first) write(",");
      first = false;
      write(JSON.stringify(key));
      write(":");
      visit(item === MISSING ? null : item, depth + 1);
    }
    write("}");
  };

  visit(value, 0);
  evaluation.charge(length);
  return parts.join("");
}
