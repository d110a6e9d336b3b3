import type { ControlMessage } from "../api/ws/protocol.js";
import {
  DEBUG_EVENT_TYPES,
  type EventFraming,
  frameEvent,
  metricsMessage,
  parseClientMessage,
} from "../api/ws/protocol.js";
import type { Clock } from "../core/clock.js";
import type { JobEvent, JobEventType } from "../core/types.js";
import type { JobMetrics } from "../core/views.js";
import type { DebugSession } from "../service/debug-service.js";
import type { EventPage } from "../service/store.js";
import {
  closeQuietly,
  connectedMessage,
  filterOf,
  sendError,
  sendMessage,
  sendText,
  subscriptionOf,
  type TypeFilter,
  upgradeResponse,
  wantsType,
} from "./socket-messages.js";

/** Which per-job endpoint a socket came in through; also its hibernation tag. */
export type JobSocketScope = "monitor" | "debug";

/** A socket's whole state, kept in its attachment so it survives hibernation (well under the 16 KiB limit). */
interface JobSocketState {
  connection_id: string;
  scope: JobSocketScope;
  types: TypeFilter;
  /** Highest seq this socket was sent or passed over: live events at or below it are not sent again. */
  last_seq: number;
  /** The last `debug_session` sent (status and pause point), so only changes are sent. */
  session_key: string | null;
}

/** What the sockets read from the job; the object answers from its storage after a checkpoint. */
export interface JobSocketSource {
  readonly job_id: string;
  events(since: number, limit: number): Promise<EventPage>;
  metrics(): Promise<JobMetrics>;
  session(): DebugSession;
}

const REPLAY_PAGE = 500;

/** Events after which a debug socket's session may have changed. */
const SESSION_EVENTS: ReadonlySet<JobEventType> = new Set<JobEventType>([
  "job_started",
  "job_paused",
  "job_resumed",
  "job_completed",
  "job_failed",
  "job_cancelled",
]);

const framingOf = (scope: JobSocketScope): EventFraming =>
  scope === "debug" ? { kind: "debug" } : { kind: "plain" };

/**
 * The WebSockets of one job (`/api/ws/jobs/{job_id}/monitor` and `/debug`), held with the Hibernation API. Live
 * events reach them only after they are stored (`broadcast` is called by the object's checkpoint), so what a client
 * has seen is never undone by an object restart that continues from the last snapshot.
 *
 * `open`, `broadcast` and `message` must not overlap for one job: the object runs them one after another (its
 * serial section), so a replay and a broadcast never both decide what a socket has seen.
 *
 * Unlike the in-process hub there is no send queue: a Workers socket buffers without telling how much, so neither
 * the spec's bounded queue nor `events:dropped` applies here.
 */
export class JobSockets {
  constructor(
    private readonly ctx: DurableObjectState,
    private readonly clock: Clock,
    private readonly heartbeatSeconds: number,
  ) {}

  get count(): number {
    return this.ctx.getWebSockets().length;
  }

  /** Accepts a new socket and sends the endpoint's first messages, then the log from `since`. */
  async open(scope: JobSocketScope, since: number, source: JobSocketSource): Promise<Response> {
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server, [scope]);
    const state: JobSocketState = {
      connection_id: crypto.randomUUID(),
      scope,
      types: null,
      last_seq: since,
      session_key: null,
    };
    sendMessage(server, connectedMessage(state.connection_id, this.clock, this.heartbeatSeconds));
    if (scope === "monitor") {
      sendMessage(server, metricsMessage(source.job_id, await source.metrics()));
    } else {
      this.#sendSession(server, state, source.session());
    }
    await this.#replay(server, state, since, source);
    return upgradeResponse(client);
  }

  /** Newly stored events, to every socket that has not seen them; debug sockets also learn of session changes. */
  broadcast(events: readonly JobEvent[], source: JobSocketSource): void {
    if (events.length === 0) return;
    const sockets = this.ctx.getWebSockets();
    if (sockets.length === 0) return;
    const sessionMayChange = events.some((event) => SESSION_EVENTS.has(event.type));
    let session: DebugSession | undefined;
    for (const ws of sockets) {
      const state = ws.deserializeAttachment() as JobSocketState | null;
      if (!state) continue;
      this.#sendEvents(ws, state, events);
      if (state.scope === "debug" && sessionMayChange) {
        session ??= source.session();
        this.#sendSession(ws, state, session);
      }
      ws.serializeAttachment(state);
    }
  }

  /** `{"type":"ping","timestamp"}` to every socket (called from the object's alarm while the job runs). */
  heartbeat(): void {
    const text = JSON.stringify({ type: "ping", timestamp: this.clock.iso() });
    for (const ws of this.ctx.getWebSockets()) sendText(ws, text);
  }

  /** One client frame (docs/websocket-events.md). */
  async message(ws: WebSocket, data: string | ArrayBuffer, source: JobSocketSource): Promise<void> {
    const state = ws.deserializeAttachment() as JobSocketState | null;
    if (!state) return;
    if (typeof data !== "string") {
      sendError(ws, "BAD_MESSAGE", "Binary frames are not accepted: send JSON text");
      return;
    }
    const parsed = parseClientMessage(data);
    if (!parsed.ok) {
      sendError(ws, parsed.code, parsed.message);
      return;
    }
    const message = parsed.message;
    switch (message.action) {
      case "ping":
        sendMessage(ws, { type: "pong", timestamp: this.clock.iso() });
        return;
      case "pong":
        return;
      case "resume":
        if (message.job_id !== undefined && message.job_id !== source.job_id) {
          sendError(ws, "BAD_MESSAGE", `This socket follows job '${source.job_id}'; resume others on /ws`);
          return;
        }
        await this.#replay(ws, state, message.since, source);
        return;
      default: {
        if ("job_id" in message && message.job_id !== undefined) {
          sendError(
            ws,
            "BAD_MESSAGE",
            `Invalid '${message.action}' message: job_id: jobs are subscribed by id on /ws only`,
          );
          return;
        }
        const subscription = subscriptionOf(state.types);
        if (message.action === "subscribe_all") subscription.all();
        else if (message.action === "subscribe" && message.events) subscription.only(message.events);
        else if (message.action === "unsubscribe" && message.events) subscription.without(message.events);
        state.types = filterOf(subscription);
        ws.serializeAttachment(state);
        sendMessage(ws, subscription.reply());
      }
    }
  }

  close(ws: WebSocket, code: number, reason: string): void {
    // 1005 and 1006 describe a close without a code; they cannot be sent back.
    closeQuietly(ws, code === 1005 || code === 1006 ? 1000 : code, reason);
  }

  /** The stored log after `since`, page by page, then live from where it ends. */
  async #replay(ws: WebSocket, state: JobSocketState, since: number, source: JobSocketSource): Promise<void> {
    state.last_seq = since;
    for (;;) {
      const page = await source.events(state.last_seq, REPLAY_PAGE);
      if (page.oldest_seq > state.last_seq + 1 && page.last_seq > state.last_seq) {
        sendMessage(ws, { type: "stream:truncated", job_id: source.job_id, oldest_seq: page.oldest_seq });
        state.last_seq = page.oldest_seq - 1;
        if (page.events.length === 0) continue;
      }
      this.#sendEvents(ws, state, page.events);
      if (page.events.length < REPLAY_PAGE || state.last_seq >= page.last_seq) break;
    }
    ws.serializeAttachment(state);
  }

  #sendEvents(ws: WebSocket, state: JobSocketState, events: readonly JobEvent[]): void {
    const wants = wantsType(state.types);
    const framing = framingOf(state.scope);
    for (const event of events) {
      if (event.seq <= state.last_seq) continue;
      state.last_seq = event.seq;
      if (state.scope === "debug" && !DEBUG_EVENT_TYPES.has(event.type)) continue;
      if (!wants(event.type)) continue;
      sendText(ws, frameEvent(event, framing));
    }
  }

  #sendSession(ws: WebSocket, state: JobSocketState, session: DebugSession): void {
    const paused_at = "paused_at" in session ? session.paused_at : null;
    const key = JSON.stringify([session.status, paused_at]);
    if (key === state.session_key) return;
    state.session_key = key;
    const message: ControlMessage = { ...session, type: "debug_session", job_id: session.job_id, paused_at };
    sendMessage(ws, message);
  }
}
