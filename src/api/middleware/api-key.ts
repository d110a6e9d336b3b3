import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.js";
import { ApiError } from "../errors.js";
import { type AuditLog, auditRecord, keyHashOf, sha256 } from "./audit.js";

/** Routes anyone may call: the landing document, health probes, the OpenAPI document and its viewer. */
export function isPublicPath(path: string): boolean {
  return (
    path === "/" ||
    path === "/api/health" ||
    path.startsWith("/api/health/") ||
    path === "/openapi.json" ||
    path === "/docs" ||
    path.startsWith("/docs/")
  );
}

/** The WebSocket endpoints of docs/websocket-events.md; browsers cannot set headers there, so `?api_key=` counts. */
export function isWebSocketPath(path: string): boolean {
  return path === "/ws" || path === "/api/ws" || path.startsWith("/api/ws/");
}

const UNAUTHORIZED_MESSAGE = "Missing or invalid API key";

/**
 * When keys are configured, every non-public route needs one (`X-API-Key`, `Authorization: Bearer`, or on
 * WebSocket paths `?api_key=`). Missing and wrong keys get the same answer, and the comparison takes the same
 * time whatever the key: both sides are hashed to 32 bytes first (so lengths do not leak) and every configured
 * key is compared in full with no early exit.
 */
export function apiKeyAuth(options: { keys: readonly string[]; audit: AuditLog }): MiddlewareHandler<AppEnv> {
  if (options.keys.length === 0) {
    return async (c, next) => {
      c.set("apiKeyHash", null);
      await next();
    };
  }
  let configured: Promise<Uint8Array[]> | undefined;

  return async (c, next) => {
    c.set("apiKeyHash", null);
    if (isPublicPath(c.req.path)) return next();
    configured ??= Promise.all(options.keys.map(sha256));
    const presented = presentedKey(c.req.raw.headers, c.req.path, () => c.req.query("api_key"));
    const digest = await sha256(presented ?? "");
    let matched = 0;
    for (const key of await configured) matched |= equalDigests(key, digest);

    if (presented === undefined || matched !== 1) {
      c.set("apiKeyHash", presented === undefined ? null : keyHashOf(digest));
      options.audit.record(
        auditRecord(c, "auth", "denied", { reason: presented === undefined ? "missing" : "invalid" }),
      );
      throw new ApiError(
        "UNAUTHORIZED",
        401,
        UNAUTHORIZED_MESSAGE,
        {},
        { "WWW-Authenticate": 'Bearer realm="routilux"' },
      );
    }
    c.set("apiKeyHash", keyHashOf(digest));
    await next();
  };
}

function presentedKey(
  headers: Headers,
  path: string,
  queryKey: () => string | undefined,
): string | undefined {
  const header = headers.get("x-api-key");
  if (header) return header;
  const bearer = /^Bearer\s+(.+)$/i.exec(headers.get("authorization") ?? "")?.[1]?.trim();
  if (bearer) return bearer;
  if (isWebSocketPath(path)) return queryKey() || undefined;
  return undefined;
}

/** 1 when the digests are equal, else 0; runs over every byte whatever the answer. */
function equalDigests(a: Uint8Array, b: Uint8Array): number {
  let difference = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ (b[i] ?? 0);
  return difference === 0 ? 1 : 0;
}
