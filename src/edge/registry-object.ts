import { DurableObject } from "cloudflare:workers";
import type { Config } from "../config.js";
import { defaultClock } from "../core/clock.js";
import type { FlowDefinition, FlowValidation } from "../core/flow.js";
import type { JobRecord, JsonObject } from "../core/types.js";
import { demoFlows } from "../routines/demo-flows.js";
import type { ConnectionInfo, ConnectRequest, CreateFlowRequest, FlowView } from "../service/flow-service.js";
import type { FlowJobMetrics } from "../service/job-service.js";
import { LocalJobService } from "../service/local-job-service.js";
import { SqliteStore } from "../service/sqlite/sqlite-store.js";
import type { JobPage, JobQuery } from "../service/store.js";
import { StoredFlowService } from "../service/stored-flow-service.js";
import { doSqliteDriver } from "./do-sqlite-driver.js";
import { configFromEnv, type EdgeEnv, jobObjectOf } from "./env.js";
import type { JobReport, JobReportReply } from "./registry-link.js";
import { RegistrySockets } from "./registry-sockets.js";
import { routineRegistry } from "./routines.js";
import { type RpcResult, settle, unwrap } from "./rpc-errors.js";
import { autoPongPair } from "./socket-messages.js";

const FLOW_SOCKET_PATH = /^\/api\/ws\/flows\/([^/]+)\/monitor$/;
const LOBBY_PATHS = new Set(["/ws", "/api/ws"]);
/** Unfinished jobs a new flow monitor asks to report everything; beyond that it meets jobs at their next change. */
const ACTIVE_JOBS_WATCHED = 1000;
const DEMO_FLOWS_REGISTERED = "demo_flows_registered";

/**
 * The one object that sees across jobs: the flows (definitions) and the job index behind the filtered, paginated
 * list, plus the WebSockets that span jobs (`/ws`, flow monitors). Both halves reuse the in-process services over
 * the object's SQLite: `StoredFlowService` for flows, `SqliteStore`'s indexed job list (with its cursors), and
 * `LocalJobService`'s list and flow metrics, which only read the store. JobObjects keep the index current by
 * reporting each status change.
 *
 * A single object is also a single writer with a finite throughput (on the order of a thousand small calls a
 * second): every job's status changes, and every event of watched jobs, pass through here.
 */
export class RegistryObject extends DurableObject<EdgeEnv> {
  readonly #config: Config;
  readonly #clock = defaultClock;
  readonly #store: SqliteStore;
  readonly #flows: StoredFlowService;
  readonly #index: LocalJobService;
  readonly #sockets: RegistrySockets;
  #alarmArmed = false;

  constructor(ctx: DurableObjectState, env: EdgeEnv) {
    super(ctx, env);
    this.#config = configFromEnv(env);
    this.#store = new SqliteStore(doSqliteDriver(ctx.storage));
    const registry = routineRegistry(this.#config);
    this.#flows = new StoredFlowService({ store: this.#store, registry, clock: this.#clock });
    // Only its list and flowMetrics are used: both read the store, neither runs a job.
    this.#index = new LocalJobService({
      store: this.#store,
      flows: this.#flows,
      registry,
      clock: this.#clock,
    });
    this.#sockets = new RegistrySockets(
      ctx,
      this.#clock,
      this.#config.wsHeartbeatSeconds,
      {
        job: (job_id) => unwrap(jobObjectOf(env, job_id).get(job_id)),
        events: (job_id, since, limit) => unwrap(jobObjectOf(env, job_id).events(job_id, since, limit)),
        watch: (job_id) => jobObjectOf(env, job_id).watch(job_id),
        totalJobs: async (flow_id) => (await this.#index.flowMetrics(flow_id)).total_jobs,
        activeJobs: (flow_id) => this.#activeJobs(flow_id),
      },
      this.#config.maxSubscriptions,
    );
    ctx.setWebSocketAutoResponse(autoPongPair(this.#clock));
    void ctx.blockConcurrencyWhile(() => this.#registerDemoFlowsOnce());
  }

  /**
   * The demo flows, on the registry's very first wake only. The Node server registers them at every start, but a
   * registry object restarts whenever it was idle for a minute or two: a deleted demo flow must stay deleted.
   */
  async #registerDemoFlowsOnce(): Promise<void> {
    const kv = this.ctx.storage.kv;
    if (kv.get(DEMO_FLOWS_REGISTERED)) return;
    await this.#flows.registerDefaults(demoFlows(this.#clock.iso()));
    kv.put(DEMO_FLOWS_REGISTERED, true);
  }

  // ---- flows (`connect`/`disconnect` are renamed: `connect` is the base class's TCP socket handler) ----------------------------------------------------------------------------------------------------

  listFlows(): Promise<RpcResult<FlowView[]>> {
    return settle(() => this.#flows.list());
  }

  getFlow(flow_id: string): Promise<RpcResult<FlowView>> {
    return settle(() => this.#flows.get(flow_id));
  }

  flowDefinition(flow_id: string): Promise<RpcResult<FlowDefinition>> {
    return settle(() => this.#flows.definition(flow_id));
  }

  createFlow(request: CreateFlowRequest): Promise<RpcResult<FlowView>> {
    return settle(() => this.#flows.create(request));
  }

  deleteFlow(flow_id: string): Promise<RpcResult<null>> {
    return settle(async () => {
      await this.#flows.delete(flow_id);
      return null;
    });
  }

  exportDsl(flow_id: string, format: "yaml" | "json"): Promise<RpcResult<string>> {
    return settle(() => this.#flows.exportDsl(flow_id, format));
  }

  validateFlow(flow_id: string): Promise<RpcResult<FlowValidation>> {
    return settle(() => this.#flows.validate(flow_id));
  }

  addRoutine(
    flow_id: string,
    routine_id: string,
    class_name: string,
    config: JsonObject,
  ): Promise<RpcResult<null>> {
    return settle(async () => {
      await this.#flows.addRoutine(flow_id, routine_id, class_name, config);
      return null;
    });
  }

  removeRoutine(flow_id: string, routine_id: string): Promise<RpcResult<null>> {
    return settle(async () => {
      await this.#flows.removeRoutine(flow_id, routine_id);
      return null;
    });
  }

  connectRoutines(flow_id: string, request: ConnectRequest): Promise<RpcResult<ConnectionInfo>> {
    return settle(() => this.#flows.connect(flow_id, request));
  }

  disconnectConnection(flow_id: string, index: number): Promise<RpcResult<null>> {
    return settle(async () => {
      await this.#flows.disconnect(flow_id, index);
      return null;
    });
  }

  // ---- the job index --------------------------------------------------------------------------------------------

  /** A JobObject's state change (and, while watched, its events). */
  async report(report: JobReport): Promise<JobReportReply> {
    await this.#store.saveJob(report.record);
    this.#sockets.deliver(report);
    return { watched: this.#sockets.watches(report.record) };
  }

  listJobs(query: JobQuery): Promise<RpcResult<JobPage>> {
    return settle(() => this.#index.list(query));
  }

  flowMetrics(flow_id: string): Promise<RpcResult<FlowJobMetrics>> {
    return settle(() => this.#index.flowMetrics(flow_id));
  }

  async #activeJobs(flow_id: string): Promise<string[]> {
    const ids: string[] = [];
    for (const status of ["pending", "running", "paused"] as const) {
      const page = await this.#store.listJobs({
        flow_id,
        status,
        order: "desc",
        limit: ACTIVE_JOBS_WATCHED,
        offset: 0,
      });
      ids.push(...page.jobs.map((job: JobRecord) => job.job_id));
    }
    return ids;
  }

  // ---- WebSockets -----------------------------------------------------------------------------------------------

  /** `/ws`, `/api/ws` and flow monitor upgrades, forwarded by the Worker after it checked the key and the flow. */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response("Expected a WebSocket upgrade", { status: 426 });
    }
    const path = new URL(request.url).pathname;
    const flow = FLOW_SOCKET_PATH.exec(path);
    let response: Response;
    if (LOBBY_PATHS.has(path)) response = await this.#sockets.openLobby();
    else if (flow) response = await this.#sockets.openFlow(decodeURIComponent(flow[1]!));
    else return new Response("No such socket", { status: 404 });
    this.#keepHeartbeat();
    return response;
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    await this.#sockets.message(ws, message);
  }

  override webSocketClose(ws: WebSocket, code: number, reason: string): void {
    this.#sockets.close(ws, code, reason);
  }

  /** The spec's heartbeat, while any socket is open; with none, no alarm, and the object may hibernate. */
  #keepHeartbeat(): void {
    if (this.#alarmArmed || this.#sockets.count === 0) return;
    this.#alarmArmed = true;
    void this.ctx.storage.setAlarm(Date.now() + this.#config.wsHeartbeatSeconds * 1000);
  }

  override async alarm(): Promise<void> {
    this.#alarmArmed = false;
    this.#sockets.heartbeat();
    this.#keepHeartbeat();
  }
}
