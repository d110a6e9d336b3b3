import { randomUUID } from "node:crypto";
import { type IncomingMessage, maxHeaderSize, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { ServerType } from "@hono/node-server";
import { ApiError, errorEnvelope } from "../api/errors.js";
import { serializeResponse } from "./node-upgrade-refusals.js";

type ClientError = Error & { code?: string };

/**
 * Requests Node's HTTP parser refuses before the app sees them, answered with the error envelope instead of Node's
 * bare status line: headers (request line included) past `maxHeaderSize` — 16 KiB unless `--max-http-header-size`
 * says otherwise — get 431 `HEADERS_TOO_LARGE`, anything else malformed 400. A request timeout keeps Node's own 408,
 * which no error code describes. As in Node's default handler, nothing is written once a response has started on
 * the connection, or to a peer that reset it.
 */
export function answerClientErrors(server: ServerType): void {
  server.on("clientError", (error: ClientError, socket: Duplex) => {
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse<IncomingMessage> })._httpMessage;
    if (error.code === "ECONNRESET" || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    void answer(error).then(
      (bytes) => socket.end(bytes, () => socket.destroy()),
      () => socket.destroy(),
    );
  });
}

async function answer(error: ClientError): Promise<Buffer | string> {
  if (error.code === "ERR_HTTP_REQUEST_TIMEOUT")
    return "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n";
  const refusal =
    error.code === "HPE_HEADER_OVERFLOW"
      ? new ApiError("HEADERS_TOO_LARGE", 431, `Request headers exceed ${maxHeaderSize} bytes`, {
          max_bytes: maxHeaderSize,
        })
      : new ApiError("VALIDATION_ERROR", 400, "Malformed HTTP request");
  const requestId = randomUUID();
  const response = Response.json(errorEnvelope(refusal, requestId), {
    status: refusal.status,
    headers: { "X-Request-Id": requestId },
  });
  return serializeResponse(response);
}
