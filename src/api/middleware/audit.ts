import type { Context } from "hono";
import type { AppEnv } from "../env.js";

/**
 * The audit log: who did what to which job, and how it went. Written for security-relevant acts only —
 * authentication failures and expression evaluation (`POST /api/jobs/{id}/debug/evaluate`) — never for every
 * request. Keys are identified by `key_hash`, the first 12 hex digits of their SHA-256, never by the key.
 */
export interface AuditRecord {
  /** What was attempted: `auth`, `debug.evaluate`, … */
  action: string;
  /** How it ended: `denied`, `ok`, `error`, … */
  outcome: string;
  key_hash: string | null;
  request_id?: string;
  [field: string]: unknown;
}

export interface AuditLog {
  record(entry: AuditRecord): void;
}

/** One JSON object per line, each stamped with `time`. */
export function jsonLinesAuditLog(
  write: (line: string) => void,
  now = () => new Date().toISOString(),
): AuditLog {
  return { record: (entry) => write(JSON.stringify({ time: now(), ...entry })) };
}

/** An audit record about the current request: fills in the key hash, request id, method and path. */
export function auditRecord(
  c: Context<AppEnv>,
  action: string,
  outcome: string,
  fields: Record<string, unknown> = {},
): AuditRecord {
  return {
    action,
    outcome,
    key_hash: c.get("apiKeyHash") ?? null,
    request_id: c.get("requestId"),
    method: c.req.method,
    path: c.req.path,
    ...fields,
  };
}

export async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

/** First 12 hex digits of a SHA-256 digest: enough to tell keys apart in a log, useless for guessing one. */
export function keyHashOf(digest: Uint8Array): string {
  let hex = "";
  for (const byte of digest.subarray(0, 6)) hex += byte.toString(16).padStart(2, "0");
  return hex;
}
