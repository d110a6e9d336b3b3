import {
  type ClientMessage,
  type EventFraming,
  frameEvent,
  parseClientMessage,
  subscriptionLimitError,
} from "../api/ws/protocol.js";
import type { Clock } from "../core/clock.js";
import { NotFoundError } from "../core/errors.js";
import { isFinished, type JobEvent, type JobRecord } from "../core/types.js";
import type { EventPage } from "../service/store.js";
import type { JobReport } from "./registry-link.js";
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

/** `/ws` (and `/api/ws`): every job's `job_*` events, plus every event of the jobs it subscribed to. */
interface LobbyState {
  kind: "all";
  connection_id: string;
  types: TypeFilter;
  /** Followed jobs → highest seq sent or passed over. */
  jobs: Record<string, number>;
}

/** `/api/ws/flows/{flow_id}/monitor`: every event of the flow's jobs from when the socket met them. */
interface FlowState {
  kind: "flow";
  connection_id: string;
  flow_id: string;
  types: TypeFilter;
  /** Jobs replayed on request (`resume`) → highest seq sent; other jobs are simply streamed as they report. */
  jobs: Record<string, number>;
}

type RegistrySocketState = LobbyState | FlowState;

/**
 * An attachment holds at most 16 KiB (workerd refuses more); a followed job costs up to ~150 bytes of it (an id of
 * up to 128 characters and a seq). A `/ws` socket therefore follows a bounded number of jobs by id; the lifecycle
 * stream of every job needs no subscription at all.
 */
export const MAX_FOLLOWED_JOBS = 64;

const REPLAY_PAGE = 500;
const LOBBY_TAG = "all";
const flowTag = (flow_id: string) => `flow:${flow_id}`;

/** What the registry's sockets need from the rest of the deployment. */
export interface RegistrySocketPorts {
  /** A job's record from its own object; throws NotFoundError for an unknown job. */
  job(job_id: string): Promise<JobRecord>;
  /** A page of a job's stored log, from its own object. */
  events(job_id: string, since: number, limit: number): Promise<EventPage>;
  /** Asks the job's object to send the registry every event from now on. */
  watch(job_id: string): Promise<void>;
  /** The flow's job count for `flow_metrics`. */
  totalJobs(flow_id: string): Promise<number>;
  /** Unfinished jobs of a flow, which a new flow monitor must hear from. */
  activeJobs(flow_id: string): Promise<string[]>;
}

/**
 * The WebSockets that span jobs: `/ws` and flow monitors, held by the registry object (Hibernation API) because
 * it is the one place every JobObject reports to. JobObjects always report `job_*` events; they report every
 * event only while the registry says it watches them (a flow monitor of their flow, or a `/ws` socket following
 * them), so a job nobody watches costs the registry one call per status change.
 */
export class RegistrySockets {
  /** Live events held while a socket replays a job's log (connection_id/job_id → events), like JobStream. */
  readonly #replaying = new Map<string, JobEvent[]>();
  /** Jobs a `/ws` socket may follow by id. */
  readonly #maxFollowed: number;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly clock: Clock,
    private readonly heartbeatSeconds: number,
    private readonly ports: RegistrySocketPorts,
    /** `ROUTILUX_MAX_SUBSCRIPTIONS`; a socket's attachment caps it at `MAX_FOLLOWED_JOBS` here. */
    maxSubscriptions = MAX_FOLLOWED_JOBS,
  ) {
    this.#maxFollowed = Math.min(maxSubscriptions, MAX_FOLLOWED_JOBS);
  }

  get count(): number {
    return this.ctx.getWebSockets().length;
  }

  async openLobby(): Promise<Response> {
    const { 0: client, 1: server } = new WebSocketPair();
    const state: LobbyState = { kind: "all", connection_id: crypto.randomUUID(), types: null, jobs: {} };
    this.ctx.acceptWebSocket(server, [LOBBY_TAG]);
    server.serializeAttachment(state);
    sendMessage(server, connectedMessage(state.connection_id, this.clock, this.heartbeatSeconds));
    return upgradeResponse(client);
  }

  async openFlow(flow_id: string): Promise<Response> {
    const { 0: client, 1: server } = new WebSocketPair();
    const state: FlowState = {
      kind: "flow",
      connection_id: crypto.randomUUID(),
      flow_id,
      types: null,
      jobs: {},
    };
    this.ctx.acceptWebSocket(server, [flowTag(flow_id)]);
    sendMessage(server, connectedMessage(state.connection_id, this.clock, this.heartbeatSeconds));
    sendMessage(server, { type: "flow_metrics", flow_id, total_jobs: await this.ports.totalJobs(flow_id) });
    // From here on this flow's reports reach the socket; jobs already running are asked to report everything.
    server.serializeAttachment(state);
    for (const job_id of await this.ports.activeJobs(flow_id)) await this.ports.watch(job_id);
    return upgradeResponse(client);
  }

  /** Whether any socket wants every event of this job. */
  watches(record: JobRecord): boolean {
    if (this.ctx.getWebSockets(flowTag(record.flow_id)).length > 0) return true;
    for (const ws of this.ctx.getWebSockets(LOBBY_TAG)) {
      const state = ws.deserializeAttachment() as LobbyState | null;
      if (state && record.job_id in state.jobs) return true;
    }
    return false;
  }

  /** A JobObject's report: its events to the sockets that want them. */
  deliver(report: JobReport): void {
    const { record, events } = report;
    if (events.length === 0) return;
    for (const ws of this.ctx.getWebSockets(flowTag(record.flow_id))) {
      const state = ws.deserializeAttachment() as FlowState | null;
      if (state) this.#deliverToFlow(ws, state, record.job_id, events);
    }
    const lifecycle = events.filter((event) => event.type.startsWith("job_"));
    for (const ws of this.ctx.getWebSockets(LOBBY_TAG)) {
      const state = ws.deserializeAttachment() as LobbyState | null;
      if (!state) continue;
      if (record.job_id in state.jobs) {
        this.#deliverFollowed(ws, state, record.job_id, events, { kind: "plain" });
      } else if (lifecycle.length > 0) {
        const wants = wantsType(state.types);
        for (const event of lifecycle)
          if (wants(event.type)) sendText(ws, frameEvent(event, { kind: "plain" }));
      }
    }
  }

  heartbeat(): void {
    const text = JSON.stringify({ type: "ping", timestamp: this.clock.iso() });
    for (const ws of this.ctx.getWebSockets()) sendText(ws, text);
  }

  close(ws: WebSocket, code: number, reason: string): void {
    closeQuietly(ws, code === 1005 || code === 1006 ? 1000 : code, reason);
  }

  async message(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    const state = ws.deserializeAttachment() as RegistrySocketState | null;
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
    await this.#handle(ws, state, parsed.message);
  }

  async #handle(ws: WebSocket, state: RegistrySocketState, message: ClientMessage): Promise<void> {
    switch (message.action) {
      case "ping":
        sendMessage(ws, { type: "pong", timestamp: this.clock.iso() });
        return;
      case "pong":
        return;
      case "subscribe_all": {
        const subscription = subscriptionOf(state.types);
        subscription.all();
        this.#update(ws, (s) => {
          s.types = filterOf(subscription);
        });
        this.#reply(ws);
        return;
      }
      case "subscribe": {
        if (message.job_id !== undefined && !this.#acceptsJobIds(ws, state, "subscribe")) return;
        if (message.job_id !== undefined && !(await this.#exists(ws, message.job_id))) return;
        if (message.events) {
          const subscription = subscriptionOf(state.types);
          subscription.only(message.events);
          this.#update(ws, (s) => {
            s.types = filterOf(subscription);
          });
        }
        const job_id = message.job_id;
        if (job_id === undefined) return this.#reply(ws);
        const followed = job_id in (this.#state(ws)?.jobs ?? {});
        if (followed && message.since === undefined) return this.#reply(ws);
        if (!followed && !this.#follow(ws, job_id)) return;
        this.#reply(ws);
        await this.#replay(ws, job_id, message.since ?? 0);
        return;
      }
      case "unsubscribe": {
        if (message.job_id !== undefined && !this.#acceptsJobIds(ws, state, "unsubscribe")) return;
        const subscription = subscriptionOf(state.types);
        if (message.events) subscription.without(message.events);
        this.#update(ws, (s) => {
          if (message.job_id !== undefined) delete s.jobs[message.job_id];
          if (message.events) s.types = filterOf(subscription);
        });
        this.#reply(ws);
        return;
      }
      case "resume": {
        const job_id = message.job_id;
        if (job_id === undefined) {
          sendError(ws, "BAD_MESSAGE", "Invalid 'resume' message: job_id: required on this socket");
          return;
        }
        const record = await this.#record(ws, job_id);
        if (!record) return;
        if (state.kind === "flow" && record.flow_id !== state.flow_id) {
          sendError(ws, "JOB_NOT_FOUND", `Job '${job_id}' is not a job of flow '${state.flow_id}'`);
          return;
        }
        if (!(job_id in (this.#state(ws)?.jobs ?? {})) && !this.#follow(ws, job_id)) return;
        await this.#replay(ws, job_id, message.since);
        return;
      }
    }
  }

  #acceptsJobIds(ws: WebSocket, state: RegistrySocketState, verb: string): boolean {
    if (state.kind === "all") return true;
    sendError(ws, "BAD_MESSAGE", `Invalid '${verb}' message: job_id: jobs are subscribed by id on /ws only`);
    return false;
  }

  async #exists(ws: WebSocket, job_id: string): Promise<boolean> {
    return (await this.#record(ws, job_id)) !== null;
  }

  async #record(ws: WebSocket, job_id: string): Promise<JobRecord | null> {
    try {
      return await this.ports.job(job_id);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      sendError(ws, "JOB_NOT_FOUND", error.message);
      return null;
    }
  }

  /** Starts following a job by id; false (and the client told why) when the socket follows too many. */
  #follow(ws: WebSocket, job_id: string): boolean {
    const state = this.#state(ws);
    if (!state) return false;
    if (Object.keys(state.jobs).length >= this.#maxFollowed) {
      sendMessage(ws, subscriptionLimitError(this.#maxFollowed));
      return false;
    }
    this.#update(ws, (s) => {
      s.jobs[job_id] = 0;
    });
    return true;
  }

  /**
   * The job's stored log after `since`, then live. The job is asked to report every event first, so each event
   * is either in a page read afterwards or arrives in a report; reports that arrive meanwhile are held and sent
   * after the last page, and seq removes what both carried.
   */
  async #replay(ws: WebSocket, job_id: string, since: number): Promise<void> {
    const start = this.#state(ws);
    if (!start) return;
    const key = `${start.connection_id}/${job_id}`;
    const framing = this.#framingOf(start);
    this.#replaying.set(key, []);
    let last = since;
    const wants = () => wantsType(this.#state(ws)?.types ?? null);
    const send = (events: readonly JobEvent[]) => {
      const filter = wants();
      for (const event of events) {
        if (event.seq <= last) continue;
        last = event.seq;
        if (filter(event.type)) sendText(ws, frameEvent(event, framing));
      }
    };
    try {
      await this.ports.watch(job_id);
      for (;;) {
        const page = await this.ports.events(job_id, last, REPLAY_PAGE);
        if (page.oldest_seq > last + 1 && page.last_seq > last) {
          sendMessage(ws, { type: "stream:truncated", job_id, oldest_seq: page.oldest_seq });
          last = page.oldest_seq - 1;
          if (page.events.length === 0) continue;
        }
        send(page.events);
        if (page.events.length < REPLAY_PAGE || last >= page.last_seq) break;
      }
      send(this.#replaying.get(key) ?? []);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      sendError(ws, "JOB_NOT_FOUND", error.message);
      this.#update(ws, (s) => {
        delete s.jobs[job_id];
      });
      return;
    } finally {
      this.#replaying.delete(key);
    }
    this.#update(ws, (s) => {
      if (job_id in s.jobs) s.jobs[job_id] = last;
    });
  }

  #deliverToFlow(ws: WebSocket, state: FlowState, job_id: string, events: readonly JobEvent[]): void {
    const framing: EventFraming = { kind: "flow", flow_id: state.flow_id };
    if (job_id in state.jobs) {
      this.#deliverFollowed(ws, state, job_id, events, framing);
      return;
    }
    const wants = wantsType(state.types);
    for (const event of events) if (wants(event.type)) sendText(ws, frameEvent(event, framing));
  }

  /** Events of a job the socket follows by seq: held while it replays, else sent past what it already has. */
  #deliverFollowed(
    ws: WebSocket,
    state: RegistrySocketState,
    job_id: string,
    events: readonly JobEvent[],
    framing: EventFraming,
  ): void {
    const held = this.#replaying.get(`${state.connection_id}/${job_id}`);
    if (held) {
      held.push(...events);
      return;
    }
    const wants = wantsType(state.types);
    let last = state.jobs[job_id] ?? 0;
    for (const event of events) {
      if (event.seq <= last) continue;
      last = event.seq;
      if (wants(event.type)) sendText(ws, frameEvent(event, framing));
    }
    const finished = events.some((event) => isFinished(finalStatusOf(event)));
    // A flow socket forgets a replayed job once it ended, so its attachment does not fill with old jobs.
    if (state.kind === "flow" && finished) delete state.jobs[job_id];
    else state.jobs[job_id] = last;
    ws.serializeAttachment(state);
  }

  #framingOf(state: RegistrySocketState): EventFraming {
    return state.kind === "flow" ? { kind: "flow", flow_id: state.flow_id } : { kind: "plain" };
  }

  #reply(ws: WebSocket): void {
    const state = this.#state(ws);
    if (!state) return;
    const reply = subscriptionOf(state.types).reply();
    sendMessage(ws, { ...reply, job_ids: Object.keys(state.jobs) });
  }

  #state(ws: WebSocket): RegistrySocketState | null {
    return ws.deserializeAttachment() as RegistrySocketState | null;
  }

  /** Read, change, write: the attachment may have changed while this socket's command awaited something. */
  #update(ws: WebSocket, change: (state: RegistrySocketState) => void): void {
    const state = this.#state(ws);
    if (!state) return;
    change(state);
    ws.serializeAttachment(state);
  }
}

function finalStatusOf(event: JobEvent): JobRecord["status"] {
  switch (event.type) {
    case "job_completed":
      return "completed";
    case "job_failed":
      return "failed";
    case "job_cancelled":
      return "cancelled";
    default:
      return "running";
  }
}
