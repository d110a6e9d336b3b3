import { RoutiluxError } from "../core/errors.js";

/**
 * How every store writes a position in the job list, so that a cursor from one page of any store means the same
 * thing on the next: the list is ordered by `(created_at, job_id)` and a cursor is the key of the last job returned.
 */
export interface JobKey {
  readonly created_at: string;
  readonly job_id: string;
}

/** A cursor or date bound of a job query that cannot be read; `field` names the query parameter at fault. */
export class InvalidJobQueryError extends RoutiluxError {
  override name = "InvalidJobQueryError";
  constructor(
    readonly field: "cursor" | "created_after" | "created_before" | "finishedBefore",
    message: string,
  ) {
    super(message);
  }
}

// The version prefix lets a later format be told apart from this one without guessing.
const CURSOR_PREFIX = "v1.";

export function encodeJobCursor(key: JobKey): string {
  return CURSOR_PREFIX + toBase64Url(JSON.stringify([key.created_at, key.job_id]));
}

export function decodeJobCursor(cursor: string): JobKey {
  const invalid = () => new InvalidJobQueryError("cursor", "cursor is not one this server issued");
  if (!cursor.startsWith(CURSOR_PREFIX)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(fromBase64Url(cursor.slice(CURSOR_PREFIX.length)));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw invalid();
  const [createdAt, jobId] = parsed;
  if (typeof createdAt !== "string" || typeof jobId !== "string") throw invalid();
  return { created_at: createdAt, job_id: jobId };
}

/**
 * Timestamps are compared as strings, which orders them correctly only in one format: the `toISOString()` form
 * the clock writes (`2026-01-15T08:30:00.123Z`). A bound like `2026-01-15T08:30:00Z` or `+02:00` is rewritten into
 * that form first, or it would sort after the very instant it names.
 */
export function normalizeTimeBound(field: InvalidJobQueryError["field"], value: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new InvalidJobQueryError(field, `${field} is not an ISO-8601 time: '${value}'`);
  return new Date(ms).toISOString();
}

// btoa/atob rather than Buffer: the Workers runtime has no Buffer without the Node compatibility flag. Ids and
// timestamps are ASCII in practice, where a character is its own byte and the UTF-8 round trip (a quarter of a
// job-list request's cost) can be skipped; the output is the same either way.
const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
const NON_ASCII = /[\u0080-\uffff]/;

function toBase64Url(text: string): string {
  let binary = text;
  if (NON_ASCII.test(text)) {
    binary = "";
    for (const byte of utf8.encode(text)) binary += String.fromCharCode(byte);
  }
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64Url(encoded: string): string {
  const binary = atob(encoded.replaceAll("-", "+").replaceAll("_", "/"));
  if (!NON_ASCII.test(binary)) return binary;
  return strictUtf8.decode(Uint8Array.from(binary, (char) => char.charCodeAt(0)));
}
