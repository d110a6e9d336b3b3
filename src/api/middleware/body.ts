import type { MiddlewareHandler } from "hono";
import { readAtMost } from "../../core/read-at-most.js";
import { ApiError } from "../errors.js";
import { isJsonMediaType, unsupportedMediaType } from "./json-media-type.js";

const METHODS_WITH_BODY = new Set(["POST", "PUT", "PATCH", "DELETE"]);

// The connection cannot carry another request after a body cut off part way: say so, or a keep-alive client would
// send its next request down a socket the server is about to drop.
const tooLarge = (maxBytes: number) =>
  new ApiError(
    "PAYLOAD_TOO_LARGE",
    413,
    `Request body exceeds ${maxBytes} bytes`,
    { max_bytes: maxBytes },
    { Connection: "close" },
  );

/**
 * Reads each request body once, up front, and does three things with it:
 *
 * - enforces `ROUTILUX_MAX_BODY_BYTES` on the bytes actually received. `Content-Length` is only used to refuse
 *   early; a chunked body or one whose `Content-Length` understates it is counted as it streams in.
 * - makes an empty body no body (docs/api.md, "Basics"): clients send
 *   `Content-Type: application/json` on bodyless requests, and the JSON validator would call "" malformed. An empty
 *   (or all-whitespace) body is dropped together with its `Content-Type`, so a route with an optional body sees
 *   none and a route with a required body reports the missing fields.
 * - refuses a non-empty body that is not JSON (415): a cross-site form or no-CORS `fetch` can send `text/plain`
 *   without a preflight, and nothing that reads such a body may act on it. A JSON body reaches the routes as
 *   `application/json`, so every route's validator reads every JSON media type (`…+json`, any case) alike.
 */
export function requestBody(options: { maxBytes: number }): MiddlewareHandler {
  const { maxBytes } = options;
  return async (c, next) => {
    // GET and friends never carry a body we read; not touching `raw.body` keeps the adapters' fast paths.
    if (!METHODS_WITH_BODY.has(c.req.method)) return next();
    const request = c.req.raw;
    if (Number(request.headers.get("content-length") ?? 0) > maxBytes) throw tooLarge(maxBytes);
    // Bun gives an empty body as no stream at all; Node as an empty stream. Both are "no body". Past the limit, up
    // to as much again is read and dropped: a client that sent a little too much is usually still writing when the
    // 413 is ready, and a server that closes with the request unread resets the connection; the client's next write
    // fails (EPIPE) and many clients, Node's http among them, then drop the 413 they were sent.
    const bytes = request.body ? await readAtMost(request.body, maxBytes, maxBytes) : new Uint8Array(0);
    if (bytes === null) throw tooLarge(maxBytes);

    // The body stream is drained now, so the request is always rebuilt, even with nothing in it.
    const empty = isBlank(bytes);
    const headers = new Headers(request.headers);
    if (empty) {
      headers.delete("content-type");
      headers.delete("content-length");
    } else {
      const type = headers.get("content-type");
      if (!isJsonMediaType(type)) throw unsupportedMediaType(type);
      headers.set("content-type", "application/json");
    }
    c.req.raw = new Request(request.url, {
      method: request.method,
      headers,
      body: empty ? null : bytes,
      signal: request.signal,
    });
    await next();
  };
}

// JSON whitespace: space, tab, line feed, carriage return.
const isBlank = (bytes: Uint8Array): boolean =>
  bytes.every((b) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d);
