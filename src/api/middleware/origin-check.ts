import type { Context, MiddlewareHandler } from "hono";
import { ApiError } from "../errors.js";

const MAX_ECHOED_ORIGIN = 256;

/**
 * CSRF and cross-site WebSocket defence. Browsers send `Origin` on every cross-site request (and on WebSocket
 * upgrades, where CORS does not apply at all), so a request that carries one is refused with 403 — before any
 * handler runs, preflights and upgrades included — unless it is the server's own origin or listed in
 * `ROUTILUX_CORS_ORIGINS`. CORS headers alone would only stop the page from *reading* the answer, not the request
 * from acting (a `text/plain` form post cancels a job all the same). Requests without `Origin` (curl, SDKs, other
 * servers) are not browsers' and pass. `*` allows every origin.
 */
export function originCheck(origins: readonly string[]): MiddlewareHandler {
  if (origins.includes("*")) return (_c, next) => next();
  const allowed = new Set(origins);

  return async (c, next) => {
    const origin = c.req.header("origin");
    if (origin !== undefined && !allowed.has(origin) && origin !== ownOrigin(c))
      throw forbiddenOrigin(origin);
    await next();
  };
}

/**
 * The origin the browser addressed: the scheme (`X-Forwarded-Proto` when a TLS-terminating proxy set it), host and
 * port of the request, serialized as browsers serialize `Origin` (lower case, no default port). A browser cannot set
 * `X-Forwarded-Proto` itself without a preflight, which a foreign origin fails here, and it cannot choose `Host` at
 * all (the Host check deals with names re-pointed by DNS). String work only: this runs on every browser request.
 */
function ownOrigin(c: Context): string {
  const url = c.req.url;
  const forwarded = c.req.header("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase();
  const scheme = forwarded === "https" || forwarded === "http" ? forwarded : url.slice(0, url.indexOf(":"));
  const authorityStart = url.indexOf("//") + 2;
  const host = (
    c.req.header("host") ?? url.slice(authorityStart, url.indexOf("/", authorityStart))
  ).toLowerCase();
  const defaultPort = scheme === "https" ? ":443" : ":80";
  return `${scheme}://${host.endsWith(defaultPort) ? host.slice(0, -defaultPort.length) : host}`;
}

function forbiddenOrigin(origin: string): ApiError {
  const shown = origin.length > MAX_ECHOED_ORIGIN ? `${origin.slice(0, MAX_ECHOED_ORIGIN)}…` : origin;
  return new ApiError(
    "FORBIDDEN",
    403,
    `Requests from origin '${shown}' are not allowed. To let a web page on that origin call this server, add it ` +
      "to ROUTILUX_CORS_ORIGINS",
    { origin: shown },
  );
}
