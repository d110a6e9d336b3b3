import { DurableObject } from "cloudflare:workers";
import type { Config } from "../config.js";
import type { Breakpoint, BreakpointCreate } from "../core/breakpoints.js";
import { defaultClock } from "../core/clock.js";
import { type CallFrame, notPausedVariables } from "../core/debugger.js";
import { InvalidStateError, NotFoundError } from "../core/errors.js";
import type { Job } from "../core/job.js";
import {
  isFinished,
  type JobEvent,
  type JobEventType,
  type JobRecord,
  type JsonObject,
} from "../core/types.js";
import {
  type JobMetrics,
  type JobState,
  jobLogs,
  jobMetrics,
  jobState,
  type TraceEvent,
  totalsOf,
  traceEvent,
} from "../core/views.js";
import type { DebugSession, Evaluation } from "../service/debug-service.js";
import { failInterruptedJobs } from "../service/recovery.js";
import type { EventPage } from "../service/store.js";
import { StoredBreakpoints } from "../service/stored-breakpoints.js";
import { doSqliteDriver } from "./do-sqlite-driver.js";
import { configFromEnv, type EdgeEnv, registryOf } from "./env.js";
import { JobHost, type JobHostOptions, type JobStartSpec } from "./job-host.js";
import { JobObjectStore } from "./job-object-store.js";
import { type JobSocketScope, type JobSocketSource, JobSockets } from "./job-sockets.js";
import { logError } from "./log.js";
import { RegistryLink } from "./registry-link.js";
import { routineRegistry } from "./routines.js";
import { type RpcResult, settle } from "./rpc-errors.js";
import { autoPongPair } from "./socket-messages.js";

interface LoadedJob {
  spec: JobStartSpec;
  /** The running engine; null for a job that only its stored record and log describe (finished, or failed on wake). */
  host: JobHost | null;
  /** The record as last stored. */
  record: JobRecord;
}

/** Events after which the breakpoints' hit counts are stored again, so a restart re-arms them where they were. */
const HIT_COUNTING_EVENTS: ReadonlySet<JobEventType> = new Set<JobEventType>([
  "breakpoint_hit",
  "log",
  // A condition that ran out of steps disabled its breakpoint.
  "breakpoint_error",
]);

const JOB_SOCKET_PATH = /^\/api\/ws\/jobs\/([^/]+)\/(monitor|debug)$/;

/** How soon an unacknowledged report to the registry is sent again. */
const REPORT_RETRY_MS = 2000;

/** How far back from the end of the log a waking object looks for the event behind the job's status. */
const LIFECYCLE_LOOKBACK = 16;

/**
 * One job, as a Durable Object named by its job_id: the only writer of that job. It runs the core `Job`, keeps its
 * record, breakpoints and event log in its own SQLite (`SqliteStore` through the DO driver), answers the job's
 * calls over RPC, and holds the job's WebSockets with the Hibernation API.
 *
 * What survives an eviction or restart: the record, the whole stored log, the breakpoints, and the latest
 * snapshot. Events are checkpointed one macrotask after they are logged, with a snapshot whenever no handler is
 * running at that moment (always at a pause, at the end, and between deliveries of synchronous handlers). On wake,
 * a job whose snapshot is as new as its stored log continues from it (paused stays paused; running runs on; a
 * delivery that was running is run again); any other unfinished job is marked failed "interrupted". Sockets are only
 * ever sent stored events, so a continued job never contradicts what a client saw.
 */
export class JobObject extends DurableObject<EdgeEnv> {
  readonly #config: Config;
  readonly #clock = defaultClock;
  readonly #storage: JobObjectStore;
  readonly #sockets: JobSockets;
  readonly #registry: RegistryLink;
  #job: LoadedJob | null = null;
  /** Logged, not yet stored. */
  #batch: JobEvent[] = [];
  #recordChanged = false;
  /** State only a snapshot captures changed (a variable set while paused). */
  #snapshotStale = false;
  #checkpointTimer: ReturnType<typeof setTimeout> | null = null;
  /** Checkpoints and socket replays run one after another, never interleaved (see JobSockets). */
  #serial: Promise<unknown> = Promise.resolve();
  /** When the armed alarm fires (ms since epoch), or null when none is armed by this instance. */
  #alarmAt: number | null = null;
  /** The record the registry last acknowledged (JSON), to know when its index is behind. */
  #reported: string | null = null;

  constructor(ctx: DurableObjectState, env: EdgeEnv) {
    super(ctx, env);
    this.#config = configFromEnv(env);
    this.#storage = new JobObjectStore(doSqliteDriver(ctx.storage));
    this.#sockets = new JobSockets(ctx, this.#clock, this.#config.wsHeartbeatSeconds);
    this.#registry = new RegistryLink(
      (report) => registryOf(env).report(report),
      (record) => this.#acknowledged(record),
      logError,
    );
    ctx.setWebSocketAutoResponse(autoPongPair(this.#clock));
    void ctx.blockConcurrencyWhile(() => this.#wake());
  }

  // ---- waking up ------------------------------------------------------------------------------------------------

  async #wake(): Promise<void> {
    const stored = await this.#storage.load();
    if (!stored) return;
    const { spec, snapshot } = stored;
    this.#reported = stored.reported && JSON.stringify(stored.reported);
    const resumable =
      snapshot !== null &&
      snapshot.last_seq === stored.last_seq &&
      snapshot.record.status === stored.record.status &&
      snapshot.record.status !== "pending";
    if (resumable) {
      const breakpoints = await this.#storage.breakpoints(spec.job_id);
      const host = JobHost.restore(spec, snapshot, breakpoints, this.#hostOptions());
      this.#job = { spec, host, record: stored.record };
      this.#follow(host);
    } else if (isFinished(stored.record.status)) {
      this.#job = { spec, host: null, record: stored.record };
    } else {
      // Unfinished, and what ran since the last snapshot is gone: the job cannot go on, and says so.
      await failInterruptedJobs(this.#storage.store, this.#clock);
      const record = (await this.#storage.store.getJob(spec.job_id)) ?? stored.record;
      this.#job = { spec, host: null, record };
    }
    // The registry may have missed the last change (the object died before it answered), or never heard of the
    // failure above. Reported after the constructor's block: a call out from inside it would hold every request.
    if (!this.#inSync()) {
      const latest = await this.#latestLifecycleEvent(spec.job_id);
      setTimeout(() => this.#report(latest ? [latest] : []), 0);
    }
    this.#scheduleAlarm();
  }

  /** The `job_*` event behind the current status, for `/ws` sockets that may have missed it (at least once). */
  async #latestLifecycleEvent(job_id: string): Promise<JobEvent | undefined> {
    const { last_seq } = await this.#storage.events(job_id, Number.MAX_SAFE_INTEGER, 0);
    const { events } = await this.#storage.events(
      job_id,
      Math.max(0, last_seq - LIFECYCLE_LOOKBACK),
      LIFECYCLE_LOOKBACK,
    );
    return events.findLast((event) => event.type.startsWith("job_"));
  }

  #hostOptions(): JobHostOptions {
    return {
      registry: routineRegistry(this.#config),
      clock: this.#clock,
      newBreakpointId: this.#newBreakpointId,
      limits: {
        maxBreakpointsPerJob: this.#config.maxBreakpointsPerJob,
        maxConditionSteps: this.#config.maxConditionSteps,
      },
    };
  }

  #follow(host: JobHost): void {
    host.job.log.subscribe((event) => {
      this.#batch.push(event);
      if (event.type.startsWith("job_")) this.#recordChanged = true;
      this.#scheduleCheckpoint();
    });
  }

  // ---- checkpoints ----------------------------------------------------------------------------------------------

  #scheduleCheckpoint(): void {
    this.#checkpointTimer ??= setTimeout(() => {
      this.#checkpointTimer = null;
      void this.#checkpoint();
    }, 0);
  }

  #inSerial<T>(body: () => Promise<T>): Promise<T> {
    const run = this.#serial.then(body);
    this.#serial = run.catch(() => undefined);
    return run;
  }

  /** Stores what was logged so far; reads call it first, so they see every event the job has logged. */
  #checkpoint(): Promise<void> {
    return this.#inSerial(() => this.#writeCheckpoint()).catch(logError);
  }

  async #writeCheckpoint(): Promise<void> {
    const job = this.#job;
    const host = job?.host;
    if (!job || !host) return;
    const events = this.#batch;
    const recordChanged = this.#recordChanged;
    if (events.length === 0 && !recordChanged && !this.#snapshotStale) return;
    this.#batch = [];
    this.#recordChanged = false;
    this.#snapshotStale = false;
    // Taken in the same turn as the batch, so the snapshot's last_seq is the batch's last seq.
    const record = host.job.record();
    const snapshot = host.job.snapshot();
    const counted = events.some((event) => HIT_COUNTING_EVENTS.has(event.type)) ? host.listBreakpoints() : [];
    await this.#storage.checkpoint(
      job.spec.job_id,
      events,
      recordChanged ? record : null,
      snapshot,
      this.#config.maxEventsPerJob,
    );
    for (const breakpoint of counted) await this.#storage.saveBreakpoint(breakpoint);
    job.record = record;
    this.#sockets.broadcast(events, this.#socketSource(job));
    if (recordChanged || (this.#registry.watched && events.length > 0)) this.#report(events);
    this.#scheduleAlarm();
  }

  // ---- the registry and the alarm -------------------------------------------------------------------------------

  /** Sends the current record (and these events) to the registry; an alarm retries until it acknowledges. */
  #report(events: readonly JobEvent[]): void {
    const job = this.#job;
    if (!job) return;
    void this.#registry.report(this.#recordOf(job), events);
  }

  #acknowledged(record: JobRecord): void {
    this.#reported = JSON.stringify(record);
    this.#storage.markReported(record);
  }

  /** Whether the registry's index has this job's record as it is now. */
  #inSync(): boolean {
    const job = this.#job;
    return !job || this.#reported === JSON.stringify(this.#recordOf(job));
  }

  /**
   * One alarm, for three reasons. While the job runs, every heartbeat interval: it keeps the object from being
   * evicted as idle (a running job's timers are not activity), wakes it to continue or fail the job if it was
   * evicted anyway, and sends the sockets' heartbeat. While the registry has not acknowledged the latest record,
   * soon: to report again. A parked, reported job sets none, so its object can hibernate.
   */
  #scheduleAlarm(): void {
    const running = this.#job?.host?.job.status === "running";
    const delays: number[] = [];
    if (running) delays.push(this.#config.wsHeartbeatSeconds * 1000);
    if (!this.#inSync()) delays.push(REPORT_RETRY_MS);
    if (delays.length === 0) return;
    const at = Date.now() + Math.min(...delays);
    if (this.#alarmAt !== null && this.#alarmAt <= at) return;
    this.#alarmAt = at;
    void this.ctx.storage.setAlarm(at);
  }

  override async alarm(): Promise<void> {
    this.#alarmAt = null;
    await this.#checkpoint();
    if (this.#job?.host?.job.status === "running") this.#sockets.heartbeat();
    if (!this.#inSync()) this.#report([]);
    this.#scheduleAlarm();
  }

  // ---- RPC: lifecycle -------------------------------------------------------------------------------------------

  /** Creates and starts the job; resolves once it is stored and listed by the registry. */
  start(spec: JobStartSpec): Promise<RpcResult<JobRecord>> {
    return settle(async () => {
      if (this.#job) throw new InvalidStateError(`Job '${spec.job_id}' already exists`);
      const host = JobHost.create(spec, this.#hostOptions());
      const record = host.job.record();
      await this.#storage.create(spec, record, host.listBreakpoints());
      this.#job = { spec, host, record };
      this.#follow(host);
      // Listed before it starts, so a client that lists right after POST /api/jobs finds it.
      await this.#registry.report(record, []);
      host.begin(spec);
      return host.job.record();
    });
  }

  get(job_id: string): Promise<RpcResult<JobRecord>> {
    return settle(() => this.#recordOf(this.#require(job_id)));
  }

  pause(job_id: string): Promise<RpcResult<JobRecord>> {
    return settle(() => this.#control(job_id, "pause", (job) => job.pause()));
  }

  resume(job_id: string): Promise<RpcResult<JobRecord>> {
    return settle(() => this.#control(job_id, "resume", (job) => job.resume()));
  }

  cancel(job_id: string): Promise<RpcResult<JobRecord>> {
    return settle(() => this.#control(job_id, "cancel", (job) => job.cancel()));
  }

  /** The registry wants every event of this job from now on. */
  watch(job_id: string): void {
    if (this.#job?.spec.job_id === job_id) this.#registry.watch();
  }

  // ---- RPC: views -----------------------------------------------------------------------------------------------

  state(job_id: string): Promise<RpcResult<JobState>> {
    return settle(async () => {
      const { job, events } = await this.#allEvents(job_id);
      if (job.host) return job.host.state(events);
      return jobState(job.record, Object.keys(job.spec.definition.routines), events, null);
    });
  }

  metrics(job_id: string): Promise<RpcResult<JobMetrics>> {
    return settle(async () => {
      const { job, events } = await this.#allEvents(job_id);
      return jobMetrics(this.#recordOf(job), events, job.host?.job.totals());
    });
  }

  trace(job_id: string, limit?: number): Promise<RpcResult<{ events: TraceEvent[]; total: number }>> {
    return settle(async () => {
      const { job, events } = await this.#allEvents(job_id);
      const shown = limit === undefined ? events : events.slice(0, limit);
      return { events: shown.map(traceEvent), total: (job.host?.job.totals() ?? totalsOf(events)).events };
    });
  }

  logs(job_id: string): Promise<RpcResult<JsonObject[]>> {
    return settle(async () => jobLogs((await this.#allEvents(job_id)).events));
  }

  events(job_id: string, since: number, limit: number): Promise<RpcResult<EventPage>> {
    return settle(async () => {
      this.#require(job_id);
      await this.#checkpoint();
      return this.#storage.events(job_id, since, limit);
    });
  }

  // ---- RPC: breakpoints and debugging ---------------------------------------------------------------------------

  createBreakpoint(job_id: string, create: BreakpointCreate): Promise<RpcResult<Breakpoint>> {
    return settle(async () => {
      const { host } = this.#require(job_id);
      if (!host) return this.#storedBreakpoints.create(job_id, this.#newBreakpointId(), create);
      const breakpoint = host.addBreakpoint(create);
      await this.#storage.saveBreakpoint(breakpoint);
      return breakpoint;
    });
  }

  listBreakpoints(job_id: string): Promise<RpcResult<Breakpoint[]>> {
    return settle(async () => {
      const job = this.#require(job_id);
      return job.host ? job.host.listBreakpoints() : this.#storage.breakpoints(job_id);
    });
  }

  setBreakpointEnabled(
    job_id: string,
    breakpoint_id: string,
    enabled: boolean,
  ): Promise<RpcResult<Breakpoint>> {
    return settle(async () => {
      const { host } = this.#require(job_id);
      if (!host) return this.#storedBreakpoints.setEnabled(job_id, breakpoint_id, enabled);
      const breakpoint = host.setBreakpointEnabled(breakpoint_id, enabled);
      await this.#storage.saveBreakpoint(breakpoint);
      return breakpoint;
    });
  }

  deleteBreakpoint(job_id: string, breakpoint_id: string): Promise<RpcResult<null>> {
    return settle(async () => {
      const { host } = this.#require(job_id);
      if (!host) await this.#storedBreakpoints.delete(job_id, breakpoint_id);
      else {
        host.deleteBreakpoint(breakpoint_id);
        await this.#storage.deleteBreakpoint(job_id, breakpoint_id);
      }
      return null;
    });
  }

  /** The breakpoints of a finished job whose host is gone (the object restarted): kept in storage, never hit. */
  get #storedBreakpoints(): StoredBreakpoints {
    return new StoredBreakpoints(this.#storage.store, this.#config.maxBreakpointsPerJob);
  }

  readonly #newBreakpointId = () => `bp_${crypto.randomUUID().slice(0, 8)}`;

  session(job_id: string): Promise<RpcResult<DebugSession>> {
    return settle(() => this.#sessionOf(this.#require(job_id)));
  }

  debugResume(job_id: string): Promise<RpcResult<null>> {
    return settle(() => {
      this.#debugHost(job_id).debugResume();
      return null;
    });
  }

  step(job_id: string, mode: "over" | "into"): Promise<RpcResult<null>> {
    return settle(() => {
      this.#debugHost(job_id).step(mode);
      return null;
    });
  }

  variables(
    job_id: string,
    routine_id?: string,
  ): Promise<RpcResult<{ routine_id: string | null; variables: JsonObject }>> {
    return settle(() => {
      const { host } = this.#require(job_id);
      return host ? host.variables(routine_id) : notPausedVariables();
    });
  }

  setVariable(job_id: string, name: string, value: unknown): Promise<RpcResult<null>> {
    return settle(() => {
      this.#debugHost(job_id).setVariable(name, value);
      // No event marks it, yet the parked payload changed: the next checkpoint must take a new snapshot.
      this.#snapshotStale = true;
      this.#scheduleCheckpoint();
      return null;
    });
  }

  callStack(job_id: string): Promise<RpcResult<CallFrame[]>> {
    return settle(() => this.#debugHost(job_id).callStack());
  }

  evaluate(job_id: string, expression: string, frame_index: number): Promise<RpcResult<Evaluation>> {
    return settle(() => this.#debugHost(job_id).evaluate(expression, frame_index));
  }

  // ---- WebSockets -----------------------------------------------------------------------------------------------

  /** A per-job WebSocket upgrade, forwarded by the Worker after it checked the key, the id and the job. */
  override async fetch(request: Request): Promise<Response> {
    const match = JOB_SOCKET_PATH.exec(new URL(request.url).pathname);
    const job = this.#job;
    if (!match || !job || decodeURIComponent(match[1]!) !== job.spec.job_id) {
      return new Response("No such job socket", { status: 404 });
    }
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response("Expected a WebSocket upgrade", { status: 426 });
    }
    const since = Number(new URL(request.url).searchParams.get("since") ?? "0") || 0;
    await this.#checkpoint();
    return this.#inSerial(() =>
      this.#sockets.open(match[2] as JobSocketScope, since, this.#socketSource(job)),
    );
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const job = this.#job;
    if (!job) return this.#sockets.close(ws, 1011, "Job no longer exists");
    await this.#checkpoint();
    await this.#inSerial(() => this.#sockets.message(ws, message, this.#socketSource(job)));
  }

  override webSocketClose(ws: WebSocket, code: number, reason: string): void {
    this.#sockets.close(ws, code, reason);
  }

  // ---- helpers --------------------------------------------------------------------------------------------------

  #require(job_id: string): LoadedJob {
    const job = this.#job;
    if (!job || job.spec.job_id !== job_id) throw new NotFoundError("job", job_id);
    return job;
  }

  #recordOf(job: LoadedJob): JobRecord {
    return job.host ? job.host.job.record() : job.record;
  }

  #control(job_id: string, verb: string, act: (job: Job) => void): JobRecord {
    const job = this.#require(job_id);
    if (!job.host) throw new InvalidStateError(`Cannot ${verb} job '${job_id}': it is ${job.record.status}`);
    act(job.host.job);
    return job.host.job.record();
  }

  #debugHost(job_id: string): JobHost {
    const job = this.#require(job_id);
    if (!job.host) {
      throw new InvalidStateError(`Job '${job_id}' is ${job.record.status}; it has no debug session`);
    }
    return job.host;
  }

  #sessionOf(job: LoadedJob): DebugSession {
    return job.host ? job.host.session() : { status: "no_session", job_id: job.spec.job_id };
  }

  async #allEvents(job_id: string): Promise<{ job: LoadedJob; events: JobEvent[] }> {
    const job = this.#require(job_id);
    await this.#checkpoint();
    return { job, events: await this.#storage.allEvents(job_id) };
  }

  #socketSource(job: LoadedJob): JobSocketSource {
    const job_id = job.spec.job_id;
    return {
      job_id,
      events: (since, limit) => this.#storage.events(job_id, since, limit),
      metrics: async () => jobMetrics(this.#recordOf(job), await this.#storage.allEvents(job_id)),
      session: () => this.#sessionOf(job),
    };
  }
}
