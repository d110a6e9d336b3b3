import { z } from "zod";
import { JOB_EVENT_TYPES, type JobEvent, type JobEventType } from "../../core/types.js";
import type { JobMetrics } from "../../core/views.js";
import { ID_PATTERN } from "../schemas/common.js";

/**
 * The messages of docs/websocket-events.md: what a client may send (validated here, once) and what the server
 * sends (typed here so every producer agrees on the shape).
 */

/** A client message longer than this is refused as BAD_MESSAGE before it is parsed. */
export const MAX_CLIENT_MESSAGE_BYTES = 64 * 1024;

export const CLIENT_VERBS = ["subscribe", "unsubscribe", "subscribe_all", "resume", "ping", "pong"] as const;
export type ClientVerb = (typeof CLIENT_VERBS)[number];

export const WS_ERROR_CODES = ["UNKNOWN_ACTION", "BAD_MESSAGE", "JOB_NOT_FOUND", "LIMIT_EXCEEDED"] as const;
export type WsErrorCode = (typeof WS_ERROR_CODES)[number];

/** The types a debug socket streams, each wrapped as `debug_event`. */
export const DEBUG_EVENT_TYPES: ReadonlySet<JobEventType> = new Set<JobEventType>([
  "breakpoint_hit",
  "breakpoint_error",
  "job_paused",
  "job_resumed",
  "routine_started",
  "routine_completed",
  "routine_failed",
  "slot_called",
  "event_emitted",
]);

/** `job_*` events: what every `/ws` socket receives about every job, unasked. */
export const isLifecycleEvent = (type: JobEventType): boolean => type.startsWith("job_");

const JobId = z.string().regex(ID_PATTERN, { message: "must match ^[A-Za-z0-9_.:-]{1,128}$" });
const Since = z.number().int().min(0);
const EventTypes = z.array(z.enum(JOB_EVENT_TYPES)).max(64);

const Subscribe = z
  .object({
    action: z.literal("subscribe"),
    events: EventTypes.optional(),
    job_id: JobId.optional(),
    since: Since.optional(),
  })
  .refine((m) => m.events !== undefined || m.job_id !== undefined, { message: "needs `events` or `job_id`" });
const Unsubscribe = z
  .object({ action: z.literal("unsubscribe"), events: EventTypes.optional(), job_id: JobId.optional() })
  .refine((m) => m.events !== undefined || m.job_id !== undefined, { message: "needs `events` or `job_id`" });
const SubscribeAll = z.object({ action: z.literal("subscribe_all") });
// `job_id` may be left out on the per-job endpoints, where the socket's job is meant.
const Resume = z.object({ action: z.literal("resume"), job_id: JobId.optional(), since: Since });
const Ping = z.object({ action: z.literal("ping") });
const Pong = z.object({ action: z.literal("pong") });

const ClientMessageSchema = z.union([Subscribe, Unsubscribe, SubscribeAll, Resume, Ping, Pong]);
export type ClientMessage = z.infer<typeof ClientMessageSchema>;

const VERB_SCHEMAS: Record<ClientVerb, z.ZodType<ClientMessage>> = {
  subscribe: Subscribe,
  unsubscribe: Unsubscribe,
  subscribe_all: SubscribeAll,
  resume: Resume,
  ping: Ping,
  pong: Pong,
};

export type ParsedClientMessage =
  | { ok: true; message: ClientMessage }
  | { ok: false; code: WsErrorCode; message: string };

const utf8 = new TextEncoder();

const bad = (message: string): ParsedClientMessage => ({ ok: false, code: "BAD_MESSAGE", message });

/** Parses one text frame. The verb may be under `action` (preferred) or `type`. */
export function parseClientMessage(text: string): ParsedClientMessage {
  // One UTF-16 unit is 1 to 3 UTF-8 bytes: only texts near the cap need their bytes counted.
  const overCap =
    text.length > MAX_CLIENT_MESSAGE_BYTES ||
    (text.length * 3 > MAX_CLIENT_MESSAGE_BYTES && utf8.encode(text).length > MAX_CLIENT_MESSAGE_BYTES);
  if (overCap) {
    return bad(`Message exceeds ${MAX_CLIENT_MESSAGE_BYTES} bytes`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return bad(`Malformed JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return bad("A message is a JSON object");
  const fields = value as Record<string, unknown>;
  const verb = fields.action ?? fields.type;
  if (typeof verb !== "string") return bad("A message names its verb in `action` (or `type`)");
  if (!(CLIENT_VERBS as readonly string[]).includes(verb)) {
    return { ok: false, code: "UNKNOWN_ACTION", message: `Unknown action '${verb.slice(0, 64)}'` };
  }
  const result = VERB_SCHEMAS[verb as ClientVerb].safeParse({ ...fields, action: verb });
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const where = issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
    return bad(`Invalid '${verb}' message: ${where}${issue.message}`);
  }
  return { ok: true, message: result.data };
}

// ---- server → client -------------------------------------------------------------------------------------------

export interface ConnectionStatusMessage {
  type: "connection:status";
  status: "connected";
  connection_id: string;
  timestamp: string;
  server_time: string;
  heartbeat_interval: number;
}

export interface JobMetricsMessage {
  type: "metrics";
  job_id: string;
  metrics: {
    start_time: string | null;
    end_time: string | null;
    duration: number | null;
    total_events: number;
    total_slot_calls: number;
    total_event_emits: number;
  };
}

/** The `metrics` message a job monitor socket opens with: the summary fields of the job's metrics. */
export function metricsMessage(job_id: string, m: JobMetrics): JobMetricsMessage {
  return {
    type: "metrics",
    job_id,
    metrics: {
      start_time: m.start_time,
      end_time: m.end_time,
      duration: m.duration,
      total_events: m.total_events,
      total_slot_calls: m.total_slot_calls,
      total_event_emits: m.total_event_emits,
    },
  };
}

export interface PausedAtView {
  routine_id: string | null;
  slot_name: string | null;
  event_name: string | null;
  breakpoint_id: string | null;
}

export interface DebugSessionMessage {
  type: "debug_session";
  job_id: string;
  status: string;
  paused_at: PausedAtView | null;
  [field: string]: unknown;
}

export interface FlowMetricsMessage {
  type: "flow_metrics";
  flow_id: string;
  total_jobs: number;
}

export interface SubscriptionMessage {
  type: "subscription";
  subscribed_all: boolean;
  events: JobEventType[];
  job_ids: string[];
}

export type ControlMessage =
  | ConnectionStatusMessage
  | JobMetricsMessage
  | DebugSessionMessage
  | FlowMetricsMessage
  | SubscriptionMessage
  | { type: "connection:status"; status: "closing" }
  | { type: "pong"; timestamp: string }
  | { type: "ping"; timestamp: string }
  | { type: "error"; code: WsErrorCode; message: string; limit?: number }
  | { type: "stream:truncated"; job_id: string; oldest_seq: number }
  | { type: "events:dropped"; job_id: string; from_seq: number; to_seq: number };

/** A subscription past the socket's limit: the socket stays open, and keeps what it had. */
export function subscriptionLimitError(limit: number): ControlMessage {
  return {
    type: "error",
    code: "LIMIT_EXCEEDED",
    message: `Subscription limit reached: a socket subscribes to at most ${limit} jobs (ROUTILUX_MAX_SUBSCRIPTIONS)`,
    limit,
  };
}

/** How an event is framed on a socket: as it is, or inside the debug or flow envelope. */
export type EventFraming = { kind: "plain" } | { kind: "debug" } | { kind: "flow"; flow_id: string };

// Every socket that streams an event sends the same JSON for it: serialise once per event and framing, not once per
// socket (an event belongs to one flow, so its flow framing is one text too).
const eventTexts = new WeakMap<JobEvent, string>();
const debugTexts = new WeakMap<JobEvent, string>();
const flowTexts = new WeakMap<JobEvent, string>();

export function eventText(event: JobEvent): string {
  let text = eventTexts.get(event);
  if (text === undefined) {
    text = JSON.stringify(event);
    eventTexts.set(event, text);
  }
  return text;
}

export function frameEvent(event: JobEvent, framing: EventFraming): string {
  switch (framing.kind) {
    case "plain":
      return eventText(event);
    case "debug": {
      let text = debugTexts.get(event);
      if (text === undefined) {
        text = `{"type":"debug_event","event":${eventText(event)}}`;
        debugTexts.set(event, text);
      }
      return text;
    }
    case "flow": {
      let text = flowTexts.get(event);
      if (text === undefined) {
        text = `{"type":"flow_job_event","flow_id":${JSON.stringify(framing.flow_id)},"job_id":${JSON.stringify(event.job_id)},"event":${eventText(event)}}`;
        flowTexts.set(event, text);
      }
      return text;
    }
  }
}
