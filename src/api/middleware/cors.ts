import type { Context, MiddlewareHandler } from "hono";

const ALLOW_METHODS = "GET,HEAD,POST,PUT,PATCH,DELETE,OPTIONS";
const ALLOW_HEADERS = "content-type,x-api-key,authorization,x-request-id";
const EXPOSE_HEADERS = "X-Request-Id";
const MAX_AGE_SECONDS = "600";

/**
 * CORS from `ROUTILUX_CORS_ORIGINS`. An origin not on the list gets no `Access-Control-Allow-Origin`, so the browser
 * refuses the response; `*` is honoured only when configured. Preflights are answered here, before authentication,
 * because browsers never send credentials on them.
 *
 * Written out rather than taken from `hono/cors`, which touches `c.res` before the handler runs and again after it:
 * each touch makes Hono copy the Response, and on Node a Response costs tens of microseconds, most of a small
 * request. Here the headers go into the prepared headers before `next()` (no Response exists yet) and are only
 * checked on the way out, for handlers that built their own Response.
 */
export function corsFromConfig(origins: readonly string[]): MiddlewareHandler {
  const anyOrigin = origins.includes("*");
  const allowed = new Set(origins);
  const allowOrigin = (origin: string | undefined): string | null => {
    if (anyOrigin) return "*";
    return origin !== undefined && allowed.has(origin) ? origin : null;
  };

  return async (c, next) => {
    const origin = allowOrigin(c.req.header("origin"));
    if (c.req.method === "OPTIONS") return preflight(origin, anyOrigin);

    const headers: Array<[string, string]> = [["Access-Control-Expose-Headers", EXPOSE_HEADERS]];
    if (origin !== null) headers.push(["Access-Control-Allow-Origin", origin]);
    if (!anyOrigin) headers.push(["Vary", "Origin"]);
    for (const [name, value] of headers) c.header(name, value);
    await next();
    decorate(c, headers);
  };
}

function preflight(origin: string | null, anyOrigin: boolean): Response {
  const headers = new Headers({
    "Access-Control-Expose-Headers": EXPOSE_HEADERS,
    "Access-Control-Max-Age": MAX_AGE_SECONDS,
    "Access-Control-Allow-Methods": ALLOW_METHODS,
    "Access-Control-Allow-Headers": ALLOW_HEADERS,
    Vary: anyOrigin ? "Access-Control-Request-Headers" : "Origin, Access-Control-Request-Headers",
  });
  if (origin !== null) headers.set("Access-Control-Allow-Origin", origin);
  return new Response(null, { status: 204, headers });
}

/**
 * Puts the CORS headers on the final response. Responses we build have mutable headers, so they are set in place;
 * one with immutable headers (a proxied `fetch()` reply) goes through `c.header`, which copies it.
 */
function decorate(c: Context, headers: ReadonlyArray<[string, string]>): void {
  const target = c.res.headers;
  for (const [name, value] of headers) {
    const isVary = name === "Vary";
    if (isVary ? hasVary(target, value) : target.get(name) === value) continue;
    try {
      if (isVary) target.append(name, value);
      else target.set(name, value);
    } catch {
      c.header(name, value, { append: isVary });
    }
  }
}

function hasVary(headers: Headers, value: string): boolean {
  const wanted = value.toLowerCase();
  return (headers.get("Vary") ?? "").split(",").some((part) => part.trim().toLowerCase() === wanted);
}
