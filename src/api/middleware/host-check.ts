import type { MiddlewareHandler } from "hono";
import { ApiError } from "../errors.js";

/** The names a loopback-bound server answers to without configuration. */
const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]"];

/** Long enough for any real host name; a longer `Host` is cut in the message rather than echoed whole. */
const MAX_ECHOED_HOST = 256;

export interface HostCheckOptions {
  /** The address the server listens on; null when the runtime does not listen itself (Workers). */
  listenHost: string | null;
  /** `ROUTILUX_ALLOWED_HOSTS`: undefined when unset; `*` turns the check off. */
  allowedHosts: readonly string[] | undefined;
}

/**
 * DNS rebinding defence. A page on `http://evil.example` whose name the attacker re-points at 127.0.0.1 reaches a
 * loopback-bound server with the browser's blessing (same origin, as far as the browser knows), but its requests
 * still say `Host: evil.example`. So while listening on loopback only the loopback names — and the listening address
 * itself — are served, plus the names in `ROUTILUX_ALLOWED_HOSTS` (a reverse proxy's public name). Listening on any
 * other address (or with no listening address at all, as on Workers), the check applies once the variable is set.
 * Ports are ignored: the port is not what rebinding changes.
 */
export function hostCheck(options: HostCheckOptions): MiddlewareHandler {
  const { listenHost, allowedHosts } = options;
  const loopback = listenHost !== null && isLoopbackAddress(listenHost);
  if (allowedHosts?.includes("*") || (!loopback && allowedHosts === undefined)) {
    return (_c, next) => next();
  }
  const allowed = new Set([
    ...(loopback ? LOOPBACK_NAMES : []),
    ...(listenHost === null ? [] : [hostName(bracketed(listenHost))]),
    ...(allowedHosts ?? []).map(hostName),
  ]);

  return async (c, next) => {
    // HTTP/1.1 requires `Host`; without one (HTTP/1.0, `app.request()`) the URL's host is what the runtime assumed.
    const host = c.req.header("host") ?? new URL(c.req.url).host;
    if (!allowed.has(hostName(host))) throw forbiddenHost(host);
    await next();
  };
}

function forbiddenHost(host: string): ApiError {
  const shown = host.length > MAX_ECHOED_HOST ? `${host.slice(0, MAX_ECHOED_HOST)}…` : host;
  return new ApiError(
    "FORBIDDEN",
    403,
    `Host '${shown}' is not served here. If this server is meant to answer to that name (behind a reverse ` +
      `proxy, say), add it to ROUTILUX_ALLOWED_HOSTS`,
    { host: shown },
  );
}

/** `Example.COM:8080` → `example.com`, `[::1]:20555` → `[::1]`, `localhost.` → `localhost`. */
export function hostName(host: string): string {
  const lower = host.trim().toLowerCase();
  const name = lower.startsWith("[") ? lower.slice(0, lower.indexOf("]") + 1) : lower.split(":")[0]!;
  return name.endsWith(".") ? name.slice(0, -1) : name;
}

/** A listening address as it appears in a `Host` header: IPv6 literals in brackets. */
const bracketed = (address: string): string =>
  address.includes(":") && !address.startsWith("[") ? `[${address}]` : address;

/** `localhost`, 127.0.0.0/8, `::1` and its IPv4-mapped forms. */
export function isLoopbackAddress(address: string): boolean {
  const bare = address
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, "");
  return bare === "localhost" || bare === "::1" || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare);
}
