import type { UpgradeWebSocket } from "hono/ws";
import { type CreateAppOptions, createApp } from "../api/app.js";
import { type SocketAccess, WsHub } from "../api/ws/index.js";
import { type Config, loadConfig } from "../config.js";
import { FlowInvalidError } from "../core/errors.js";
import type { Job } from "../core/job.js";
import { type AnyRoutineType, RoutineRegistry } from "../core/routine.js";
import type { JobRecord, JsonObject } from "../core/types.js";
import { type FlowDslDocument, parseAndValidateFlowDsl } from "../dsl/index.js";
import { builtinRoutines, demoRoutines, httpFetchRoutine } from "../routines/index.js";
import type { Connector, Outbound } from "../routines/outbound/outbound-fetch.js";
import { outboundPolicy } from "../routines/outbound/policy.js";
import { webConnector } from "../routines/outbound/web-connector.js";
import type { StartJobRequest } from "../service/job-service.js";
import { limitsFromConfig } from "../service/limits.js";
import type { LocalDebugService } from "../service/local-debug-service.js";
import type { LocalJobService } from "../service/local-job-service.js";
import { MemoryStore } from "../service/memory-store.js";
import { createServices } from "../service/services.js";
import type { Store } from "../service/store.js";
import type { StoredFlowService } from "../service/stored-flow-service.js";

/** A flow to serve: DSL text (YAML or JSON) or a parsed DSL document, naming itself with `flow_id`. */
export type FlowSource = string | FlowDslDocument;

export interface RoutiluxOptions {
  /** Your routine types, registered next to the built-ins. */
  routines?: readonly AnyRoutineType[];
  /** Flows to serve from the start; each replaces a stored flow of the same id. */
  flows?: readonly FlowSource[];
  /**
   * Where flows, jobs and event logs live. Default: in memory (nothing survives the process). `{ sqlite: file }`
   * keeps them in a SQLite file (bun:sqlite on Bun, better-sqlite3 on Node — loaded only then). Any `Store`
   * implementation works too.
   */
  store?: Store | "memory" | { sqlite: string };
  /** Settings over the defaults of docs/configuration.md (`store` and `dataDir` are the CLI's; use `store` here). */
  config?: Partial<Config>;
  /**
   * How `HttpFetch` opens connections under the policy of `config` (`fetchAllow`, `fetchMaxBytes`,
   * `fetchTimeoutMs`). Default: on Node and Bun node:http, checking each resolved address before connecting; on
   * Workers and elsewhere the Web `fetch` with the URL checked.
   */
  connector?: Connector;
  /** Also register the demo routines and the four demo flows. Default false. */
  demo?: boolean;
  /**
   * Serve the WebSocket streams from `app`: your runtime's `upgradeWebSocket` (`hono/bun`, `@hono/node-server`,
   * `hono/cloudflare-workers`) and, where it offers them, its socket access for backpressure and pings.
   */
  websocket?: { upgradeWebSocket: UpgradeWebSocket; access?: SocketAccess };
  /** Passed on to `createApp`: logger, audit log, version, Swagger UI assets, extra routes. */
  app?: Omit<
    CreateAppOptions,
    "jobs" | "flows" | "debug" | "config" | "registry" | "ws" | "upgradeWebSocket"
  >;
}

/** A job started with `routilux.run`. */
export interface StartedJob {
  /** The job as it was when it started (status `running`, or `paused` with `pause_on_start`). */
  record: JobRecord;
  /** The engine's job: `job.pause()`, `job.cancel()`, `job.log`, `job.shared`. */
  job: Job;
  /** Resolves once the job has completed, failed or been cancelled; it never rejects. */
  done: Promise<FinishedJob>;
}

export interface FinishedJob {
  record: JobRecord;
  /** The job's shared data at the end (a `Sink` collects into `shared_data.results`). */
  shared_data: JsonObject;
}

export type RunOptions = Omit<StartJobRequest, "flow_id" | "entry_routine_id" | "entry_params">;

export interface Routilux {
  /** The HTTP API as a Hono app: mount it (`app.route("/", routilux.app)`), serve it, or `export default` it. */
  app: ReturnType<typeof createApp>;
  jobs: LocalJobService;
  flows: StoredFlowService;
  debug: LocalDebugService;
  registry: RoutineRegistry;
  store: Store;
  config: Config;
  /** Starts a job of `flow_id` at `entry_routine_id`; `await (await routilux.run(...)).done` for its outcome. */
  run(
    flow_id: string,
    entry_routine_id: string,
    entry_params?: JsonObject,
    options?: RunOptions,
  ): Promise<StartedJob>;
  /** Applies the retention settings once (`retentionJobs`, `retentionDays`); returns how many jobs it removed. */
  sweep(): Promise<number>;
  /** Closes WebSockets, waits for pending writes, closes the store. Running jobs are not waited for. */
  close(): Promise<void>;
}

/**
 * Routilux in your own program: the engine, its services and the HTTP API over them, with your routines and flows.
 * It starts no server and reads no environment variable, so it runs the same on Node, Bun and Workers (with the
 * memory store).
 */
export async function createRoutilux(options: RoutiluxOptions = {}): Promise<Routilux> {
  const config: Config = { ...loadConfig({}), ...options.config };
  const policy = outboundPolicy(config);
  const outbound: Outbound = {
    policy,
    connect: options.connector ?? (await localConnector()) ?? webConnector(policy),
  };
  const registry = new RoutineRegistry()
    .registerAll(builtinRoutines)
    .register(httpFetchRoutine(outbound), { replace: true });
  if (options.demo) registry.registerAll(demoRoutines);
  registry.registerAll(options.routines ?? []);

  const services = await createServices({
    store: await openStore(options.store),
    registry,
    demoFlows: options.demo ?? false,
    limits: limitsFromConfig(config),
    retention: { jobs: config.retentionJobs, days: config.retentionDays },
  });
  const now = new Date().toISOString();
  for (const [index, source] of (options.flows ?? []).entries()) {
    await services.flows.replace(parseFlow(source, index, registry, now));
  }

  const ws = options.websocket
    ? new WsHub({ jobs: services.jobs, flows: services.flows, config, access: options.websocket.access })
    : undefined;
  const app = createApp({
    ...options.app,
    config,
    jobs: services.jobs,
    flows: services.flows,
    debug: services.debug,
    registry,
    ws,
    upgradeWebSocket: options.websocket?.upgradeWebSocket,
  });

  return {
    app,
    jobs: services.jobs,
    flows: services.flows,
    debug: services.debug,
    registry,
    store: services.store,
    config,
    async run(flow_id, entry_routine_id, entry_params = {}, runOptions = {}) {
      const record = await services.jobs.start({ ...runOptions, flow_id, entry_routine_id, entry_params });
      // Just started, so still in the service's live set (it keeps finished jobs for a while, too).
      const job = services.jobs.liveJob(record.job_id)!;
      return { record, job, done: job.done.then((final) => ({ record: final, shared_data: job.shared })) };
    },
    sweep: services.sweep,
    async close() {
      ws?.closeAll();
      await services.close();
    },
  };
}

// Named in a variable so bundlers for Workers leave node:http out (as sqlite-file.ts does for SQLite drivers).
const NODE_OUTBOUND = "./node-outbound.js";

/** The connector that checks resolved addresses, where node:http exists: Node and Bun, not Workers. */
async function localConnector(): Promise<Connector | undefined> {
  const runtime = globalThis as {
    navigator?: { userAgent?: string };
    process?: { versions?: { node?: string } };
  };
  const onWorkers = runtime.navigator?.userAgent === "Cloudflare-Workers";
  if (onWorkers || typeof runtime.process?.versions?.node !== "string") return undefined;
  const module = (await import(NODE_OUTBOUND)) as typeof import("./node-outbound.js");
  return module.nodeConnector;
}

async function openStore(store: RoutiluxOptions["store"]): Promise<Store> {
  if (store === undefined || store === "memory") return new MemoryStore();
  if ("sqlite" in store) {
    // Loaded only when asked for: the package must not make every user build a native SQLite module.
    const { openSqliteStore } = await import("./sqlite-file.js");
    return openSqliteStore(store.sqlite);
  }
  return store;
}

function parseFlow(source: FlowSource, index: number, registry: RoutineRegistry, now: string) {
  try {
    return parseAndValidateFlowDsl(source, registry, { now }).flow;
  } catch (error) {
    if (!(error instanceof FlowInvalidError)) throw error;
    throw new FlowInvalidError(error.issues.map((issue) => `flows[${index}]: ${issue}`));
  }
}
