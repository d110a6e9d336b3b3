import {
  type Breakpoint,
  type BreakpointCreate,
  BreakpointCreateSchema,
  checkBreakpointCount,
} from "../core/breakpoints.js";
import { newId as defaultNewId, type IdFactory } from "../core/clock.js";
import { compileFlow } from "../core/compiled-flow.js";
import type { CallFrame } from "../core/debugger.js";
import { NotFoundError } from "../core/errors.js";
import type { FlowDefinition, FlowValidation } from "../core/flow.js";
import type { RoutineRegistry } from "../core/routine.js";
import type { JobRecord, JsonObject } from "../core/types.js";
import type { JobMetrics, JobState, TraceEvent } from "../core/views.js";
import type { DebugService, DebugSession, Evaluation } from "../service/debug-service.js";
import type {
  ConnectionInfo,
  ConnectRequest,
  CreateFlowRequest,
  FlowService,
  FlowView,
} from "../service/flow-service.js";
import type {
  FlowJobMetrics,
  JobEventListener,
  JobService,
  StartJobRequest,
} from "../service/job-service.js";
import type { ServiceLimits } from "../service/limits.js";
import type { EventPage, JobPage, JobQuery } from "../service/store.js";
import { type EdgeEnv, jobObjectOf, registryOf } from "./env.js";
import type { JobStartSpec } from "./job-host.js";
import { unwrap } from "./rpc-errors.js";

/** Flows live in the registry object; every call is one RPC to it. */
export class DurableFlowService implements FlowService {
  constructor(private readonly env: EdgeEnv) {}

  get #registry() {
    return registryOf(this.env);
  }

  list(): Promise<FlowView[]> {
    return unwrap(this.#registry.listFlows());
  }

  get(flow_id: string): Promise<FlowView> {
    return unwrap(this.#registry.getFlow(flow_id));
  }

  definition(flow_id: string): Promise<FlowDefinition> {
    return unwrap(this.#registry.flowDefinition(flow_id));
  }

  create(request: CreateFlowRequest): Promise<FlowView> {
    return unwrap(this.#registry.createFlow(request));
  }

  async delete(flow_id: string): Promise<void> {
    await unwrap(this.#registry.deleteFlow(flow_id));
  }

  exportDsl(flow_id: string, format: "yaml" | "json"): Promise<string> {
    return unwrap(this.#registry.exportDsl(flow_id, format));
  }

  validate(flow_id: string): Promise<FlowValidation> {
    return unwrap(this.#registry.validateFlow(flow_id));
  }

  async addRoutine(
    flow_id: string,
    routine_id: string,
    class_name: string,
    config: JsonObject,
  ): Promise<void> {
    await unwrap(this.#registry.addRoutine(flow_id, routine_id, class_name, config));
  }

  async removeRoutine(flow_id: string, routine_id: string): Promise<void> {
    await unwrap(this.#registry.removeRoutine(flow_id, routine_id));
  }

  connect(flow_id: string, request: ConnectRequest): Promise<ConnectionInfo> {
    return unwrap(this.#registry.connectRoutines(flow_id, request));
  }

  async disconnect(flow_id: string, index: number): Promise<void> {
    await unwrap(this.#registry.disconnectConnection(flow_id, index));
  }
}

export interface DurableJobServiceOptions {
  env: EdgeEnv;
  flows: FlowService;
  registry: RoutineRegistry;
  newId?: IdFactory;
  /** Checked here, before a job's object exists; the objects read the rest from their own configuration. */
  limits?: Partial<ServiceLimits>;
}

/**
 * The JobService of the Workers build: each job's calls go to that job's Durable Object (named by its job_id),
 * the list and flow metrics to the registry object. `start` checks the flow and entry routine here, so a bad
 * request is refused before any object exists for it.
 */
export class DurableJobService implements JobService {
  readonly #env: EdgeEnv;
  readonly #flows: FlowService;
  readonly #registry: RoutineRegistry;
  readonly #newId: IdFactory;
  readonly #maxBreakpointsPerJob: number | undefined;

  constructor(options: DurableJobServiceOptions) {
    this.#maxBreakpointsPerJob = options.limits?.maxBreakpointsPerJob;
    this.#env = options.env;
    this.#flows = options.flows;
    this.#registry = options.registry;
    this.#newId = options.newId ?? defaultNewId;
  }

  #job(job_id: string) {
    return jobObjectOf(this.#env, job_id);
  }

  async start(request: StartJobRequest): Promise<JobRecord> {
    checkBreakpointCount(0, request.breakpoints?.length ?? 0, this.#maxBreakpointsPerJob);
    const definition = await this.#flows.definition(request.flow_id);
    const flow = compileFlow(definition, this.#registry);
    if (!flow.routines.has(request.entry_routine_id)) {
      throw new NotFoundError("routine", request.entry_routine_id);
    }
    const spec: JobStartSpec = {
      job_id: this.#newId(),
      definition,
      entry_routine_id: request.entry_routine_id,
      entry_params: request.entry_params ?? {},
      timeout: request.timeout ?? null,
      // Parsed here, where a bad one is the caller's error, so the object only ever sees valid ones.
      breakpoints: (request.breakpoints ?? []).map((create) => BreakpointCreateSchema.parse(create)),
      pause_on_start: request.pause_on_start ?? false,
    };
    return unwrap(this.#job(spec.job_id).start(spec));
  }

  get(job_id: string): Promise<JobRecord> {
    return unwrap(this.#job(job_id).get(job_id));
  }

  list(query: JobQuery): Promise<JobPage> {
    return unwrap(registryOf(this.#env).listJobs(query));
  }

  pause(job_id: string): Promise<JobRecord> {
    return unwrap(this.#job(job_id).pause(job_id));
  }

  resume(job_id: string): Promise<JobRecord> {
    return unwrap(this.#job(job_id).resume(job_id));
  }

  cancel(job_id: string): Promise<JobRecord> {
    return unwrap(this.#job(job_id).cancel(job_id));
  }

  state(job_id: string): Promise<JobState> {
    return unwrap(this.#job(job_id).state(job_id));
  }

  metrics(job_id: string): Promise<JobMetrics> {
    return unwrap(this.#job(job_id).metrics(job_id));
  }

  trace(job_id: string, limit?: number): Promise<{ events: TraceEvent[]; total: number }> {
    return unwrap(this.#job(job_id).trace(job_id, limit));
  }

  logs(job_id: string): Promise<JsonObject[]> {
    return unwrap(this.#job(job_id).logs(job_id));
  }

  events(job_id: string, since: number, limit: number): Promise<EventPage> {
    return unwrap(this.#job(job_id).events(job_id, since, limit));
  }

  flowMetrics(flow_id: string): Promise<FlowJobMetrics> {
    return unwrap(registryOf(this.#env).flowMetrics(flow_id));
  }

  /**
   * Live events of other objects never pass through this isolate, so there is nothing to listen to: the Workers
   * build routes WebSocket upgrades to the objects that hold the events (see ws-forwarding-routes.ts).
   */
  subscribe(_listener: JobEventListener): () => void {
    return () => {};
  }
}

/** The debugger of each job lives in the job's object; this forwards the API's debug calls there. */
export class DurableDebugService implements DebugService {
  constructor(private readonly env: EdgeEnv) {}

  #job(job_id: string) {
    return jobObjectOf(this.env, job_id);
  }

  createBreakpoint(job_id: string, create: BreakpointCreate): Promise<Breakpoint> {
    return unwrap(this.#job(job_id).createBreakpoint(job_id, BreakpointCreateSchema.parse(create)));
  }

  listBreakpoints(job_id: string): Promise<Breakpoint[]> {
    return unwrap(this.#job(job_id).listBreakpoints(job_id));
  }

  setBreakpointEnabled(job_id: string, breakpoint_id: string, enabled: boolean): Promise<Breakpoint> {
    return unwrap(this.#job(job_id).setBreakpointEnabled(job_id, breakpoint_id, enabled));
  }

  async deleteBreakpoint(job_id: string, breakpoint_id: string): Promise<void> {
    await unwrap(this.#job(job_id).deleteBreakpoint(job_id, breakpoint_id));
  }

  session(job_id: string): Promise<DebugSession> {
    return unwrap(this.#job(job_id).session(job_id));
  }

  async resume(job_id: string): Promise<void> {
    await unwrap(this.#job(job_id).debugResume(job_id));
  }

  async step(job_id: string, mode: "over" | "into"): Promise<void> {
    await unwrap(this.#job(job_id).step(job_id, mode));
  }

  variables(
    job_id: string,
    routine_id?: string,
  ): Promise<{ routine_id: string | null; variables: JsonObject }> {
    return unwrap(this.#job(job_id).variables(job_id, routine_id));
  }

  async setVariable(job_id: string, name: string, value: unknown): Promise<void> {
    await unwrap(this.#job(job_id).setVariable(job_id, name, value));
  }

  callStack(job_id: string): Promise<CallFrame[]> {
    return unwrap(this.#job(job_id).callStack(job_id));
  }

  evaluate(job_id: string, expression: string, frame_index: number): Promise<Evaluation> {
    return unwrap(this.#job(job_id).evaluate(job_id, expression, frame_index));
  }
}
