import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";

/**
 * CORS from `ROUTILUX_CORS_ORIGINS`. An origin not on the list gets no `Access-Control-Allow-Origin`, so the browser
 * refuses the response; `*` is honoured only when configured. Preflights are answered here, before authentication,
 * because browsers never send credentials on them.
 */
export function corsFromConfig(origins: readonly string[]): MiddlewareHandler {
  const allowed = new Set(origins);
  return cors({
    origin: allowed.has("*") ? "*" : (origin) => (allowed.has(origin) ? origin : null),
    allowMethods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
    allowHeaders: ["content-type", "x-api-key", "authorization", "x-request-id"],
    exposeHeaders: ["X-Request-Id"],
    maxAge: 600,
  });
}
