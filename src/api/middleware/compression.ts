import type { MiddlewareHandler } from "hono";
import { compress } from "hono/compress";

/**
 * gzip (or deflate) for responses of at least `threshold` bytes when the client accepts it. `hono/compress`
 * judges size by `Content-Length`, which `c.json()` does not set — without it, every response would be
 * compressed — so bodies of unknown size are measured first. Our bodies are built in memory anyway.
 * Node and Bun use this; on Workers the edge compresses by itself.
 */
export function compressLarge(threshold = 1024): MiddlewareHandler {
  const gzip = compress({ threshold });
  return (c, next) =>
    gzip(c, async () => {
      await next();
      const res = c.res;
      if (!c.req.header("accept-encoding") || !res.body || res.headers.has("content-length")) return;
      if (res.headers.has("content-encoding") || res.status === 101) return;
      const bytes = await res.arrayBuffer();
      c.res = new Response(bytes, res);
      c.res.headers.set("content-length", String(bytes.byteLength));
    });
}
