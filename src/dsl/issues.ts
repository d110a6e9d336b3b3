import type { z } from "zod";
import { DSL_FIELDS } from "./schema.js";

/**
 * Turns a problem at a document path into the sentence a user needs: it names the routine or connection at
 * fault first (`routine 'x': …`, `connection 2: …`), then the field, then what is wrong.
 */

export type DocumentPath = readonly PropertyKey[];

interface Location {
  /** `routine 'x'` or `connection 2`; null for top-level fields. */
  subject: string | null;
  /** Dotted path below the subject (or from the top), empty for the subject itself. */
  field: string;
}

function locate(path: DocumentPath): Location {
  const [head, id, ...rest] = path.map(String);
  if (head === "routines" && id !== undefined) return { subject: `routine '${id}'`, field: rest.join(".") };
  if (head === "connections" && id !== undefined)
    return { subject: `connection ${id}`, field: rest.join(".") };
  return { subject: null, field: path.map(String).join(".") };
}

export function describeIssue(path: DocumentPath, message: string): string {
  const { subject, field } = locate(path);
  // zod's generic prefix adds nothing once the field is named.
  const text = message.replace(/^Invalid input: /, "");
  const namesItsField = field !== "" && (text.startsWith(`'${field}'`) || text.startsWith(field));
  const body = field !== "" && !namesItsField ? `${field}: ${text}` : text;
  return subject ? `${subject}: ${body}` : body;
}

/** Which DSL object lives at a path, so an unknown field can be answered with the accepted ones. */
function objectKindAt(path: DocumentPath): keyof typeof DSL_FIELDS | null {
  const last = path.at(-1);
  if (path.length === 0) return "document";
  if (path[0] === "routines" && path.length === 2) return "routine";
  if (path[0] === "routines" && last === "error_handler") return "error_handler";
  if (path[0] === "connections" && path.length === 2) return "connection";
  if (path[0] === "execution" && path.length === 1) return "execution";
  return null;
}

function unknownFields(path: DocumentPath, keys: readonly string[]): string[] {
  const kind = objectKindAt(path);
  const accepted = kind ? ` (expected one of: ${DSL_FIELDS[kind].join(", ")})` : "";
  return keys.map((key) => describeIssue(path, `unknown field '${key}'${accepted}`));
}

export function describeZodIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys") return unknownFields(issue.path, issue.keys);
    if (issue.code === "invalid_key" && issue.path[0] === "routines" && issue.path.length === 2) {
      const inner = issue.issues[0]?.message ?? issue.message;
      return [`routine id '${String(issue.path[1])}' is invalid: ${inner}`];
    }
    return [describeIssue(issue.path, issue.message)];
  });
}
