import { randomUUID } from "node:crypto";
import { type IncomingMessage, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { Http2Bindings, HttpBindings, ServerType } from "@hono/node-server";
import type { WebSocketServer } from "ws";
import { ApiError, errorEnvelope } from "../api/errors.js";

/** What `@hono/node-server` passes to the app; `outgoing` is absent for an upgrade request. */
type Bindings = HttpBindings | Http2Bindings;

type Fetch = (request: Request, env: Bindings) => Response | Promise<Response>;

/** Hop-by-hop headers, and the framing this module writes itself. */
const NOT_FORWARDED = new Set(["connection", "content-length", "keep-alive", "transfer-encoding", "upgrade"]);

/**
 * Refused WebSocket upgrades (401, 404, 422…) answered with the app's whole response, JSON error envelope included.
 *
 * `@hono/node-server` 2.1.9 answers a refused upgrade itself with the response's status and headers only (it writes
 * `Content-Length: 0`), unless the server has another `upgrade` listener: then it leaves the socket to that listener.
 * `fetch` wraps the app's and keeps each upgrade request's response; `listen` adds the listener, which writes that
 * response unless the upgrade went through (the `ws` server reported the connection). Bun sends the body by itself.
 */
export function upgradeRefusals(fetch: Fetch, wss: WebSocketServer) {
  const responses = new WeakMap<object, Promise<Response>>();
  const upgraded = new WeakSet<IncomingMessage>();
  wss.on("connection", (_socket, request) => upgraded.add(request));

  return {
    fetch: (request: Request, env: Bindings): Response | Promise<Response> => {
      const response = fetch(request, env);
      if (env.outgoing === undefined) responses.set(env.incoming, Promise.resolve(response));
      return response;
    },

    /** Call once `serve` has added its own listener: this one must run after it. */
    listen(server: ServerType): void {
      server.on("upgrade", async (request: IncomingMessage, socket: Duplex) => {
        // Like @hono/node-server's listener, which does not call the app for other protocols.
        if (request.headers.upgrade?.toLowerCase() !== "websocket") return;
        const pending = responses.get(request);
        responses.delete(request);
        // No response: the request could not even be turned into a `Request` (a malformed target).
        const response = pending ? await pending.catch(() => null) : null;
        if (upgraded.has(request) || socket.destroyed) return;
        socket.end(await serializeResponse(response ?? badRequest()));
      });
    },
  };
}

function badRequest(): Response {
  const error = new ApiError("VALIDATION_ERROR", 400, "Malformed upgrade request");
  return Response.json(errorEnvelope(error, randomUUID()), { status: 400 });
}

/** A whole HTTP/1.1 response, to write to a socket the HTTP server has let go of; the connection closes after it. */
export async function serializeResponse(response: Response): Promise<Buffer> {
  const body = Buffer.from(await response.arrayBuffer());
  const lines = [
    `HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ""}`,
    "Connection: close",
    `Content-Length: ${body.byteLength}`,
  ];
  response.headers.forEach((value, name) => {
    if (!NOT_FORWARDED.has(name)) lines.push(`${name}: ${value}`);
  });
  return Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`), body]);
}
