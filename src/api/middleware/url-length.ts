import type { MiddlewareHandler } from "hono";
import { ApiError } from "../errors.js";

/**
 * Longest request target (path and query) served: 8 KiB. No route needs more (ids are ≤ 128 characters, queries
 * are a few short parameters), and the runtimes' own limit — about 16 KiB for the request line and headers together
 * on Node and Bun — answers 431 with no body; below it the client gets a 414 it can read.
 */
export const MAX_URL_BYTES = 8192;

export function urlLength(maxBytes = MAX_URL_BYTES): MiddlewareHandler {
  return async (c, next) => {
    const url = c.req.url;
    const target = url.length - url.indexOf("/", url.indexOf("//") + 2);
    if (target > maxBytes) {
      throw new ApiError("URI_TOO_LONG", 414, `Request URL exceeds ${maxBytes} bytes`, {
        max_bytes: maxBytes,
      });
    }
    await next();
  };
}
