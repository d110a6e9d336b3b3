import type { WSContext, WSEvents } from "hono/ws";
import type { Config } from "../../config.js";
import { type Clock, defaultClock, type IdFactory, newId } from "../../core/clock.js";
import { AtCapacityError } from "../../core/errors.js";
import type { JobEvent } from "../../core/types.js";
import type { FlowService } from "../../service/flow-service.js";
import type { JobService } from "../../service/job-service.js";
import { Connection, type ConnectionContext, type ConnectionScope, type SocketPort } from "./connection.js";
import type { DebugSessionSource } from "./debug-session.js";
import { isLifecycleEvent } from "./protocol.js";
import type { SocketAccess } from "./socket-access.js";

export interface WsHubOptions {
  jobs: JobService;
  flows: Pick<FlowService, "get">;
  config: Pick<Config, "wsHeartbeatSeconds" | "wsMaxQueue" | "maxWsConnections" | "maxSubscriptions">;
  /** The runtime's socket access (backpressure, protocol pings); without it neither is available. */
  access?: SocketAccess;
  /** The debugger, for `debug_session` messages (its session view); derived from the job's events when absent. */
  debug?: { session: DebugSessionSource };
  clock?: Clock;
  newId?: IdFactory;
  onError?: (error: unknown) => void;
  /** Largest page of a job's log read at once when replaying. */
  pageSize?: number;
}

/** Counters for tests, benchmarks and operators. */
export interface WsHubStats {
  connections: number;
  /** Events waiting in all send queues now. */
  queued_events: number;
  /** The most events any one connection ever had waiting (never above `ROUTILUX_WS_MAX_QUEUE`). */
  queue_high_water: number;
  /** Events dropped on overflow, all connections, since the hub started. */
  dropped_events: number;
  /** Messages handed to sockets, all connections, since the hub started. */
  sent_messages: number;
  /** Connections whose client stopped reading: no live events are routed to them until their socket drains. */
  stalled_connections: number;
}

/** What a client refused for the connection cap is told to wait before it tries again. */
const CONNECTIONS_RETRY_AFTER_SECONDS = 5;
/** An admitted upgrade whose socket never opens gives its place back after this long. */
const ADMISSION_TIMEOUT_MS = 10_000;

/** Messages one connection sends per round of a flush before the next connection gets its turn. */
const FLUSH_BUDGET = 256;
/** A flush stops starting new rounds after this long, like the engine's own time slice (core/job.ts). */
const FLUSH_SLICE_MS = 4;
/** How often a connection whose socket buffer is full is looked at again (runtimes without a drain signal). */
const BLOCKED_POLL_MS = 10;
const DEFAULT_PAGE_SIZE = 500;

const scheduleMacrotask: (fn: () => void) => void =
  typeof globalThis.setImmediate === "function"
    ? (fn) => globalThis.setImmediate(fn)
    : (fn) => setTimeout(fn, 0);

/** Timers of the hub run only while it has connections and never keep the process alive by themselves. */
const unref = <T>(timer: T): T => {
  (timer as { unref?: () => void }).unref?.();
  return timer;
};

/**
 * Every WebSocket of the server and the one live listener on the job service that feeds them. Events are routed
 * by job id (monitor, debug, `/ws` subscriptions), by flow id (flow monitors) and, for `job_*` events, to every
 * `/ws` socket. The listener only queues; queues are flushed in a macrotask of the hub's own, a bounded number of
 * messages per connection per turn, so the engine never waits on a socket. Runtime-independent: the entry passes
 * hono's `upgradeWebSocket` (to the routes) and its `SocketAccess` (here).
 */
export class WsHub {
  readonly jobs: JobService;
  readonly flows: Pick<FlowService, "get">;
  readonly #access: SocketAccess | undefined;
  readonly #newId: IdFactory;
  readonly #onError: (error: unknown) => void;
  readonly #heartbeatMs: number;
  readonly #maxConnections: number;
  readonly #context: ConnectionContext;
  /** Upgrades admitted whose socket has not opened yet: they count against the cap like open ones. */
  #opening = 0;

  readonly #connections = new Set<Connection>();
  // Arrays, replaced rather than changed: the listener walks them for every event the engine logs, without an
  // iterator, and a connection leaving mid-walk does not disturb the walk.
  readonly #byJob = new Map<string, readonly Connection[]>();
  readonly #byFlow = new Map<string, readonly Connection[]>();
  /** `/ws` sockets: they get every job's `job_*` events. */
  readonly #lobby = new Set<Connection>();
  /** Flow sockets whose client stopped reading: out of `#byFlow`, they get only their flow's `job_*` events. */
  readonly #parkedByFlow = new Map<string, readonly Connection[]>();
  /**
   * The jobs and flow each connection is routed under, so leaving costs O(its own routes). A stalled connection
   * keeps its routes here and is out of the indexes until it is unparked.
   */
  readonly #routesOf = new Map<Connection, { jobs: Set<string>; flow_id: string | null; raw: unknown }>();
  /** For runtimes that report pongs and drains per server, not per socket (Bun). */
  readonly #bySocket = new Map<unknown, Connection>();

  #unsubscribe: (() => void) | null = null;
  #heartbeat: ReturnType<typeof setInterval> | null = null;
  #dirty = new Set<Connection>();
  #flushScheduled = false;
  readonly #blocked = new Set<Connection>();
  #blockedPoll: ReturnType<typeof setTimeout> | null = null;
  #shuttingDown = false;
  #droppedByClosed = 0;
  #sentByClosed = 0;
  #highWaterOfClosed = 0;

  constructor(options: WsHubOptions) {
    this.jobs = options.jobs;
    this.flows = options.flows;
    this.#access = options.access;
    this.#newId = options.newId ?? newId;
    this.#onError = options.onError ?? ((error) => console.error(error));
    this.#heartbeatMs = options.config.wsHeartbeatSeconds * 1000;
    this.#maxConnections = options.config.maxWsConnections;
    this.#context = {
      jobs: options.jobs,
      clock: options.clock ?? defaultClock,
      heartbeatSeconds: options.config.wsHeartbeatSeconds,
      maxQueue: options.config.wsMaxQueue,
      maxSubscriptions: options.config.maxSubscriptions,
      pageSize: options.pageSize ?? DEFAULT_PAGE_SIZE,
      debugSession: options.debug ? (job_id) => options.debug!.session(job_id) : undefined,
      follow: (connection, job_id) => this.#addRoute(this.#byJob, job_id, connection, "job"),
      unfollow: (connection, job_id) => this.#removeJobRoute(connection, job_id),
      followFlow: (connection, flow_id) => this.#addRoute(this.#byFlow, flow_id, connection, "flow"),
      park: (connection) => this.#park(connection),
      unpark: (connection) => this.#unpark(connection),
      wake: (connection) => this.#wake(connection),
      closed: (connection) => this.#forget(connection),
      onError: (error) => this.#onError(error),
    };
  }

  /**
   * Admits one more socket of this scope, or throws `AtCapacityError` (429 before the upgrade) when
   * `ROUTILUX_MAX_WS_CONNECTIONS` sockets of any endpoint are open or opening. Returns hono's WebSocket events for
   * it; pass them to `upgradeWebSocket`.
   */
  events(scope: ConnectionScope): WSEvents {
    const active = this.#connections.size + this.#opening;
    if (active >= this.#maxConnections) {
      throw new AtCapacityError(
        `Too many WebSocket connections: at most ${this.#maxConnections} may be open (ROUTILUX_MAX_WS_CONNECTIONS)`,
        { limit: this.#maxConnections, active },
        CONNECTIONS_RETRY_AFTER_SECONDS,
      );
    }
    this.#opening++;
    let admitted = true;
    const settle = () => {
      if (!admitted) return;
      admitted = false;
      this.#opening--;
      clearTimeout(timeout);
    };
    const timeout = unref(setTimeout(settle, ADMISSION_TIMEOUT_MS));
    let connection: Connection | null = null;
    return {
      onOpen: (_event, ws) => {
        settle();
        connection = this.#open(scope, ws);
      },
      onMessage: (event) => connection?.receive(event.data),
      onClose: () => {
        settle();
        connection?.socketClosed();
      },
      onError: () => {
        settle();
        connection?.socketClosed();
      },
    };
  }

  /** A protocol pong for this runtime socket (Bun's server-level `pong` handler). */
  pong(raw: unknown): void {
    this.#bySocket.get(raw)?.pong();
  }

  /** The runtime socket's buffer drained (Bun's server-level `drain` handler). */
  drain(raw: unknown): void {
    const connection = this.#bySocket.get(raw);
    if (!connection) return;
    this.#blocked.delete(connection);
    this.#wake(connection);
  }

  /** Server shutdown: every socket gets `connection:status` `closing`, then close code 1001. New ones are refused. */
  closeAll(): void {
    this.#shuttingDown = true;
    for (const connection of [...this.#connections]) connection.shutdown();
  }

  stats(): WsHubStats {
    let queued = 0;
    let highWater = this.#highWaterOfClosed;
    let dropped = this.#droppedByClosed;
    let sent = this.#sentByClosed;
    let stalled = 0;
    for (const connection of this.#connections) {
      if (connection.isStalled) stalled++;
      sent += connection.sentMessages;
      queued += connection.queue.eventCount;
      highWater = Math.max(highWater, connection.queue.highWater);
      dropped += connection.queue.droppedTotal;
    }
    return {
      connections: this.#connections.size,
      queued_events: queued,
      queue_high_water: highWater,
      dropped_events: dropped,
      sent_messages: sent,
      stalled_connections: stalled,
    };
  }

  #open(scope: ConnectionScope, ws: WSContext): Connection {
    const raw = ws.raw;
    const access = this.#access;
    const port: SocketPort = {
      send: (text) => ws.send(text),
      close: (code, reason) => ws.close(code, reason),
      bufferedAmount: access ? () => access.bufferedAmount(raw) : () => 0,
      ping: access?.ping ? () => access.ping?.(raw) : undefined,
    };
    const connection = new Connection(this.#newId(), scope, port, this.#context);
    if (this.#shuttingDown) {
      connection.shutdown();
      return connection;
    }
    this.#connections.add(connection);
    this.#routesOf.set(connection, { jobs: new Set(), flow_id: null, raw });
    if (raw !== undefined && raw !== null) this.#bySocket.set(raw, connection);
    if (scope.kind === "all") this.#lobby.add(connection);
    access?.onPong?.(raw, () => connection.pong());
    // The live listener is in place before the connection reads any log, so replay and live meet without a gap.
    this.#unsubscribe ??= this.jobs.subscribe(this.#route);
    this.#heartbeat ??= unref(setInterval(() => this.#beat(), this.#heartbeatMs));
    connection.open();
    return connection;
  }

  /** The engine's listener: synchronous, queue-only. */
  readonly #route = (event: JobEvent, flow_id: string): void => {
    const followers = this.#byJob.get(event.job_id);
    if (followers) for (let i = 0; i < followers.length; i++) followers[i]!.offer(event);
    const watchers = this.#byFlow.get(flow_id);
    if (watchers) for (let i = 0; i < watchers.length; i++) watchers[i]!.offer(event);
    if ((this.#lobby.size > 0 || this.#parkedByFlow.size > 0) && isLifecycleEvent(event.type)) {
      for (const connection of this.#lobby) connection.offerLifecycle(event);
      const parked = this.#parkedByFlow.get(flow_id);
      if (parked) for (let i = 0; i < parked.length; i++) parked[i]!.meet(event);
    }
  };

  #addRoute(
    index: Map<string, readonly Connection[]>,
    key: string,
    connection: Connection,
    kind: "job" | "flow",
  ): void {
    const routes = this.#routesOf.get(connection);
    if (!routes) return;
    if (kind === "job") routes.jobs.add(key);
    else routes.flow_id = key;
    // A parked connection joins the indexes when it is unparked; a parked flow socket still meets new jobs.
    if (!connection.isStalled) addTo(index, key, connection);
    else if (kind === "flow") addTo(this.#parkedByFlow, key, connection);
  }

  #removeJobRoute(connection: Connection, job_id: string): void {
    this.#routesOf.get(connection)?.jobs.delete(job_id);
    removeFrom(this.#byJob, job_id, connection);
  }

  #park(connection: Connection): void {
    const routes = this.#routesOf.get(connection);
    if (!routes) return;
    for (const job_id of routes.jobs) removeFrom(this.#byJob, job_id, connection);
    if (routes.flow_id !== null) {
      removeFrom(this.#byFlow, routes.flow_id, connection);
      addTo(this.#parkedByFlow, routes.flow_id, connection);
    }
  }

  #unpark(connection: Connection): void {
    const routes = this.#routesOf.get(connection);
    if (!routes) return;
    for (const job_id of routes.jobs) addTo(this.#byJob, job_id, connection);
    if (routes.flow_id !== null) {
      removeFrom(this.#parkedByFlow, routes.flow_id, connection);
      addTo(this.#byFlow, routes.flow_id, connection);
    }
  }

  #forget(connection: Connection): void {
    if (!this.#connections.delete(connection)) return;
    const routes = this.#routesOf.get(connection);
    this.#routesOf.delete(connection);
    if (routes) {
      for (const job_id of routes.jobs) removeFrom(this.#byJob, job_id, connection);
      if (routes.flow_id !== null) {
        removeFrom(this.#byFlow, routes.flow_id, connection);
        removeFrom(this.#parkedByFlow, routes.flow_id, connection);
      }
      this.#bySocket.delete(routes.raw);
    }
    this.#lobby.delete(connection);
    this.#dirty.delete(connection);
    this.#blocked.delete(connection);
    this.#droppedByClosed += connection.queue.droppedTotal;
    this.#sentByClosed += connection.sentMessages;
    this.#highWaterOfClosed = Math.max(this.#highWaterOfClosed, connection.queue.highWater);
    if (this.#connections.size === 0) this.#idle();
  }

  /** No sockets left: the engine's events cost nothing here again. */
  #idle(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
    if (this.#blockedPoll) clearTimeout(this.#blockedPoll);
    this.#blockedPoll = null;
  }

  #beat(): void {
    for (const connection of [...this.#connections]) connection.heartbeat();
  }

  #wake(connection: Connection): void {
    if (this.#blocked.has(connection)) return;
    this.#dirty.add(connection);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    scheduleMacrotask(this.#flush);
  }

  /**
   * Flushes the connections with something to send, round-robin, `FLUSH_BUDGET` messages each per round, for at
   * most `FLUSH_SLICE_MS` (checked within a connection's round too); what is left waits for the next turn. The engine runs its own slices in between, so
   * neither starves the other, and one busy socket cannot hold up the rest.
   */
  readonly #flush = (): void => {
    this.#flushScheduled = false;
    const started = performance.now();
    let pending = this.#dirty;
    this.#dirty = new Set();
    while (pending.size > 0 && performance.now() - started < FLUSH_SLICE_MS) {
      const again = new Set<Connection>();
      for (const connection of pending) {
        const result = connection.flush(FLUSH_BUDGET, started + FLUSH_SLICE_MS);
        if (result === "more") again.add(connection);
        else if (result === "blocked") this.#block(connection);
      }
      pending = again;
    }
    for (const connection of pending) this.#wake(connection);
  };

  /** The socket's buffer is full: look again shortly (a runtime with a drain signal may call `drain` sooner). */
  #block(connection: Connection): void {
    this.#blocked.add(connection);
    this.#blockedPoll ??= unref(setTimeout(this.#retryBlocked, BLOCKED_POLL_MS));
  }

  readonly #retryBlocked = (): void => {
    this.#blockedPoll = null;
    const blocked = [...this.#blocked];
    this.#blocked.clear();
    for (const connection of blocked) this.#wake(connection);
  };
}

function addTo(index: Map<string, readonly Connection[]>, key: string, connection: Connection): void {
  const routed = index.get(key) ?? [];
  if (!routed.includes(connection)) index.set(key, [...routed, connection]);
}

function removeFrom(index: Map<string, readonly Connection[]>, key: string, connection: Connection): void {
  const routed = index.get(key);
  if (!routed) return;
  const rest = routed.filter((other) => other !== connection);
  if (rest.length === 0) index.delete(key);
  else index.set(key, rest);
}
