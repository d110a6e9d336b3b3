import type { ControlMessage, WsErrorCode } from "../api/ws/protocol.js";
import { Subscription } from "../api/ws/subscription.js";
import type { Clock } from "../core/clock.js";
import type { JobEventType } from "../core/types.js";

/**
 * The pieces of docs/websocket-events.md that both kinds of object (JobObject, RegistryObject) speak on their
 * hibernatable sockets. Message shapes come from api/ws/protocol.ts; what differs from the in-process hub is only
 * where a socket's state lives: in its attachment, so it survives the object hibernating.
 */

/** The exact frame the runtime answers by itself, without waking the object (`setWebSocketAutoResponse`). */
export const AUTO_PING_REQUEST = '{"action":"ping"}';

/**
 * The auto-response is one fixed string, set when the object wakes; so its `timestamp` is that moment, not the
 * moment of the pong, and `auto: true` says so. Any other spelling of ping (`{"type":"ping"}`, extra spaces)
 * reaches the object and gets a pong stamped now.
 */
export function autoPongPair(clock: Clock): WebSocketRequestResponsePair {
  return new WebSocketRequestResponsePair(
    AUTO_PING_REQUEST,
    JSON.stringify({ type: "pong", timestamp: clock.iso(), auto: true }),
  );
}

export function connectedMessage(
  connection_id: string,
  clock: Clock,
  heartbeatSeconds: number,
): ControlMessage {
  const now = clock.iso();
  return {
    type: "connection:status",
    status: "connected",
    connection_id,
    timestamp: now,
    server_time: now,
    heartbeat_interval: heartbeatSeconds,
  };
}

/** Sends one message; a socket that is already closing just misses it (its close event cleans up). */
export function sendText(ws: WebSocket, text: string): void {
  try {
    ws.send(text);
  } catch {
    // Closed between our check and the send: nothing to deliver to.
  }
}

export function sendMessage(ws: WebSocket, message: ControlMessage): void {
  sendText(ws, JSON.stringify(message));
}

export function sendError(ws: WebSocket, code: WsErrorCode, message: string): void {
  sendMessage(ws, { type: "error", code, message });
}

/** A socket's event-type filter as kept in its attachment: null = every type. */
export type TypeFilter = JobEventType[] | null;

/** The api's `Subscription` rebuilt from an attachment, for its filter rules and its reply. */
export function subscriptionOf(types: TypeFilter): Subscription {
  const subscription = new Subscription();
  if (types !== null) subscription.only(types);
  return subscription;
}

/** The filter to keep after the subscription changed. */
export function filterOf(subscription: Subscription): TypeFilter {
  const reply = subscription.reply();
  return reply.subscribed_all ? null : reply.events;
}

export function wantsType(types: TypeFilter): (type: JobEventType) => boolean {
  if (types === null) return () => true;
  const set = new Set(types);
  return (type) => set.has(type);
}

/** Answers the close handshake; the runtime may already have done it. */
export function closeQuietly(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    // Already closed.
  }
}

/** A WebSocket upgrade reply: the client end of a new pair goes back to the caller. */
export function upgradeResponse(client: WebSocket): Response {
  return new Response(null, { status: 101, webSocket: client });
}
