import { z } from "zod";
import type { JsonObject } from "../../core/types.js";
import { isFieldPath, PATH_RULE, readPath } from "./path.js";

/**
 * `Hello {{name}}, you have {{inbox.count}} messages`: placeholders are field paths and nothing else, so a
 * template never runs code. A template sees the payload's fields and the whole payload as `payload`, like a
 * condition does.
 */

export type MissingPolicy = "empty" | "error";

export interface Template {
  readonly source: string;
  /** Renders with the payload; a placeholder whose path is missing renders empty or throws, per `missing`. */
  render(payload: JsonObject, missing: MissingPolicy): string;
}

type Part = { text: string } | { path: string };

const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;

export class TemplateSyntaxError extends Error {
  override name = "TemplateSyntaxError";
}

export function compileTemplate(source: string): Template {
  const parts: Part[] = [];
  let last = 0;
  for (const match of source.matchAll(PLACEHOLDER)) {
    const path = match[1]!.trim();
    if (!isFieldPath(path)) {
      throw new TemplateSyntaxError(
        `placeholder '${match[0]}' must hold ${PATH_RULE}; templates run no code`,
      );
    }
    if (match.index > last) parts.push({ text: source.slice(last, match.index) });
    parts.push({ path });
    last = match.index + match[0].length;
  }
  if (last < source.length) parts.push({ text: source.slice(last) });
  return {
    source,
    render(payload, missing) {
      const context = { ...payload, payload };
      let out = "";
      for (const part of parts) {
        if ("text" in part) {
          out += part.text;
          continue;
        }
        const value = readPath(context, part.path);
        if (value === undefined && missing === "error")
          throw new Error(`template field '${part.path}' is missing`);
        out += renderValue(value);
      }
      return out;
    },
  };
}

/** null and missing render empty; objects and arrays as compact JSON. */
function renderValue(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** Config field holding a template; compiled when the config is parsed, so a bad placeholder is a flow error. */
export const TemplateSchema = z.string().transform((source, ctx): Template => {
  try {
    return compileTemplate(source);
  } catch (error) {
    ctx.issues.push({
      code: "custom",
      input: source,
      message: error instanceof Error ? error.message : String(error),
    });
    return z.NEVER;
  }
});
