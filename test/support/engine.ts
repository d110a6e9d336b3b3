/**
 * A small vocabulary for engine tests: sketch a flow in a few lines, run a real Job on it with a bounded
 * wait, and read the evidence back from its event log. Nothing here replaces engine code with a double.
 */
import { compileFlow } from "../../src/core/compiled-flow.js";
import type { Connection, ErrorHandler, FlowDefinition, RoutineInstance } from "../../src/core/flow.js";
import { Job } from "../../src/core/job.js";
import { type AnyRoutineType, defineRoutine, RoutineRegistry } from "../../src/core/routine.js";
import type {
  ExecutionStrategy,
  JobEvent,
  JobEventType,
  JobRecord,
  JsonObject,
} from "../../src/core/types.js";
import { demoRoutines } from "../../src/routines/demo.js";
import { demoFlows } from "../../src/routines/demo-flows.js";

// ---------------------------------------------------------------------------------------------- flows

export type RoutineSketch =
  | string
  | { type: string; config?: JsonObject; onError?: Pick<ErrorHandler, "strategy"> & Partial<ErrorHandler> };

export type ConnectionSketch = string | { wire: string; param_mapping: Record<string, string> };

export interface FlowSketch {
  flow_id?: string;
  /** routine_id → registered type name, or the type with its config and error handler. */
  routines: Record<string, RoutineSketch>;
  /** `"source.event -> target.slot"`, or that wire with a param_mapping. */
  connections?: ConnectionSketch[];
  strategy?: ExecutionStrategy;
  max_workers?: number;
  /** Seconds. */
  timeout?: number | null;
}

const FIXED_TIME = "2026-01-15T08:30:00.000Z";

function instanceOf(sketch: RoutineSketch): RoutineInstance {
  if (typeof sketch === "string") return { class_name: sketch, config: {}, error_handler: null };
  const onError = sketch.onError;
  return {
    class_name: sketch.type,
    config: sketch.config ?? {},
    error_handler: onError ? { max_retries: 3, retry_delay: 1, retry_backoff: 2, ...onError } : null,
  };
}

function connectionOf(sketch: ConnectionSketch): Connection {
  const wire = typeof sketch === "string" ? sketch : sketch.wire;
  const [from, to] = wire.split("->").map((end) => end.trim());
  const [source_routine, source_event] = (from ?? "").split(".");
  const [target_routine, target_slot] = (to ?? "").split(".");
  if (!source_routine || !source_event || !target_routine || !target_slot) {
    throw new Error(`bad wire '${wire}': expected "routine.event -> routine.slot"`);
  }
  const param_mapping = typeof sketch === "string" ? null : sketch.param_mapping;
  return { source_routine, source_event, target_routine, target_slot, param_mapping };
}

/** A FlowDefinition from a compact description; defaults match the DSL's. */
export function sketchFlow(sketch: FlowSketch): FlowDefinition {
  const strategy = sketch.strategy ?? "sequential";
  return {
    flow_id: sketch.flow_id ?? "test_flow",
    routines: Object.fromEntries(Object.entries(sketch.routines).map(([id, r]) => [id, instanceOf(r)])),
    connections: (sketch.connections ?? []).map(connectionOf),
    execution_strategy: strategy,
    max_workers: sketch.max_workers ?? 5,
    timeout: sketch.timeout ?? null,
    created_at: FIXED_TIME,
    updated_at: FIXED_TIME,
  };
}

/** One of the four flows of demo-flows.md. */
export function demoFlow(
  flow_id: "linear_flow" | "branching_flow" | "complex_flow" | "error_flow",
): FlowDefinition {
  const flow = demoFlows(FIXED_TIME).find((f) => f.flow_id === flow_id);
  if (!flow) throw new Error(`no demo flow '${flow_id}'`);
  return flow;
}

// ------------------------------------------------------------------------------------------ routines

/** `input` → `output` with the payload untouched: the plainest routine there is. */
export const Relay = defineRoutine({
  name: "Relay",
  slots: ["input"],
  events: ["output"],
  handlers: {
    input(payload, ctx) {
      ctx.emit("output", payload);
    },
  },
});

/** The demo routines, `Relay`, and whatever a test adds. A fresh registry per call: tests never share one. */
export function registryWith(...extra: AnyRoutineType[]): RoutineRegistry {
  return new RoutineRegistry().registerAll([...demoRoutines, Relay, ...extra]);
}

// ---------------------------------------------------------------------------------------------- jobs

export interface StartOptions {
  registry?: RoutineRegistry;
  entry?: string;
  params?: JsonObject;
  job_id?: string;
  maxEvents?: number;
  timeout?: number | null;
}

let jobCounter = 0;

/** Compiles the flow and starts a real Job on it; the entry routine's `trigger` gets `params`. */
export function startJob(flow: FlowDefinition, options: StartOptions = {}): Job {
  const job = new Job({
    job_id: options.job_id ?? `job-${++jobCounter}`,
    flow: compileFlow(flow, options.registry ?? registryWith()),
    maxEvents: options.maxEvents,
    timeout: options.timeout,
  });
  job.start(options.entry ?? "source", options.params ?? {});
  return job;
}

/** Waits for the job to finish by itself, failing the test (not hanging it) after `timeoutMs`. */
export async function runToEnd(job: Job, timeoutMs = 5_000): Promise<JobRecord> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`job ${job.job_id} still ${job.status} after ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([job.done, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Starts a job and runs it to the end. */
export async function runFlow(
  flow: FlowDefinition,
  options: StartOptions = {},
): Promise<{ job: Job; record: JobRecord }> {
  const job = startJob(flow, options);
  return { job, record: await runToEnd(job) };
}

// --------------------------------------------------------------------------------------------- waits

/** Polls until `predicate` holds; rejects after `timeoutMs` naming what it waited for. */
export async function waitFor(
  predicate: () => boolean,
  timeoutMs = 2_000,
  what = "condition",
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * A deliberate observation window: the test proves that something does NOT happen during it
 * (e.g. no handler starts while paused). Not a wait for something to happen — use `waitFor` for that.
 */
export const observeFor = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Yields to the timer queue for `ms`: simulated asynchronous work inside a handler. */
export const work = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ------------------------------------------------------------------------------------------ evidence

export function eventsOf(job: Job, type?: JobEventType): JobEvent[] {
  const events = job.log.all();
  return type === undefined ? events : events.filter((event) => event.type === type);
}

export function countEvents(job: Job): Partial<Record<JobEventType, number>> {
  const counts: Partial<Record<JobEventType, number>> = {};
  for (const event of job.log.all()) counts[event.type] = (counts[event.type] ?? 0) + 1;
  return counts;
}

/** Handler calls per `"routine.slot"`, counted from `slot_called` events. */
export function slotCalls(job: Job): Record<string, number> {
  const calls: Record<string, number> = {};
  for (const { data } of eventsOf(job, "slot_called")) {
    const key = `${data.routine_id}.${data.slot_name}`;
    calls[key] = (calls[key] ?? 0) + 1;
  }
  return calls;
}

/** The list stored under `key` in a routine's state or the shared data, created empty the first time. */
export function listAt<T>(record: JsonObject, key: string): T[] {
  let list = record[key] as T[] | undefined;
  if (list === undefined) {
    list = [];
    record[key] = list;
  }
  return list;
}

/** What DemoSink collected in the job's shared data. */
export function sinkResults(job: Job): JsonObject[] {
  return (job.shared.results as JsonObject[] | undefined) ?? [];
}

/** seq of the first event of this type, or Infinity when there is none. */
export function seqOf(job: Job, type: JobEventType): number {
  return eventsOf(job, type)[0]?.seq ?? Number.POSITIVE_INFINITY;
}

/**
 * A latch a handler can await, opened by the test. Holding handlers on a gate makes "the job is still busy"
 * a fact rather than a race against the timer queue.
 */
export class Gate {
  #release!: () => void;
  readonly opened: Promise<void> = new Promise((resolve) => {
    this.#release = resolve;
  });
  isOpen = false;

  open(): void {
    this.isOpen = true;
    this.#release();
  }
}

/** Measures how many handlers run at once: call `enter` when one starts and `leave` when it ends. */
export class ConcurrencyGauge {
  live = 0;
  max = 0;
  enter(): void {
    this.live++;
    if (this.live > this.max) this.max = this.live;
  }
  leave(): void {
    this.live--;
  }
}
