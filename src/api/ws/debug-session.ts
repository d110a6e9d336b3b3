import { isFinished, type JobEvent, type JobStatus } from "../../core/types.js";
import type { DebugSessionMessage, PausedAtView } from "./protocol.js";

/** The debugger's view of a job's session (`GET /api/jobs/{job_id}/debug/session`), when a debugger is wired in. */
export type DebugSessionSource = (job_id: string) => Promise<DebugSessionLike> | DebugSessionLike;

export interface DebugSessionLike {
  status: string;
  paused_at?: PausedAtView | null;
  [field: string]: unknown;
}

const pausedAtOf = (data: Record<string, unknown>): PausedAtView => ({
  routine_id: (data.routine_id as string | null | undefined) ?? null,
  slot_name: (data.slot_name as string | null | undefined) ?? null,
  event_name: (data.event_name as string | null | undefined) ?? null,
  breakpoint_id: (data.breakpoint_id as string | null | undefined) ?? null,
});

/**
 * The `debug_session` messages of one debug socket: the first one, and another whenever the session's status (or
 * where it is paused) changes. Changes are noticed from the job's own events (`job_paused`, `job_resumed`, `job_*`
 * endings); the session itself comes from the debugger when one is wired in (it alone knows `stepping`, the
 * session id and the call stack depth), else it is derived from those events.
 */
export class DebugSessionTracker {
  #derived: { status: string; paused_at: PausedAtView | null };
  #lastSentKey: string | null = null;

  constructor(
    readonly job_id: string,
    jobStatus: JobStatus,
    private readonly source: DebugSessionSource | undefined,
  ) {
    this.#derived = {
      status: isFinished(jobStatus) ? "no_session" : jobStatus === "paused" ? "paused" : "running",
      paused_at: null,
    };
  }

  /** Follows the job's events; true when this one changed the session. */
  observe(event: JobEvent): boolean {
    switch (event.type) {
      case "job_paused":
        this.#derived = { status: "paused", paused_at: pausedAtOf(event.data) };
        return true;
      case "job_started":
      case "job_resumed":
        this.#derived = { status: "running", paused_at: null };
        return true;
      case "job_completed":
      case "job_failed":
      case "job_cancelled":
        this.#derived = { status: "no_session", paused_at: null };
        return true;
      default:
        return false;
    }
  }

  /** The session as it stands now. */
  async current(): Promise<DebugSessionMessage> {
    const { status, paused_at, ...rest } = this.source ? await this.source(this.job_id) : this.#derived;
    return { type: "debug_session", job_id: this.job_id, status, paused_at: paused_at ?? null, ...rest };
  }

  /** The message to send now, or null when the client already has this status and pause point. */
  async changed(): Promise<DebugSessionMessage | null> {
    const message = await this.current();
    const key = JSON.stringify([message.status, message.paused_at]);
    if (key === this.#lastSentKey) return null;
    this.#lastSentKey = key;
    return message;
  }
}
