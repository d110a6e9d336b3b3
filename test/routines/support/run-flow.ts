import { compileFlow } from "../../../src/core/compiled-flow.js";
import type { FlowDefinition } from "../../../src/core/flow.js";
import { Job } from "../../../src/core/job.js";
import { defineRoutine, type RoutineRegistry } from "../../../src/core/routine.js";
import type { JobEvent, JobRecord, JsonObject } from "../../../src/core/types.js";
import { parseAndValidateFlowDsl } from "../../../src/dsl/index.js";
import { defaultRegistry } from "../../../src/routines/index.js";
import { sleep } from "../../../src/routines/sleep.js";

/**
 * The tests' vocabulary: build a flow from a DSL document, run one real Job to the end (bounded), and read
 * what it did from its shared data and event log.
 */

/** Test-only entry routine: emits each of `items` as `output`, `gap_ms` apart (0: all at once). */
export const Feed = defineRoutine({
  name: "Feed",
  slots: ["trigger"],
  events: ["output"],
  handlers: {
    async trigger(payload, ctx) {
      const items = (payload.items ?? []) as JsonObject[];
      const gap = Number(payload.gap_ms ?? 0);
      for (const [index, item] of items.entries()) {
        if (index > 0 && gap > 0) await sleep(gap, ctx.signal);
        ctx.emit("output", item);
      }
    },
  },
});

export const testRegistry = (): RoutineRegistry => defaultRegistry().register(Feed);

export interface Run {
  job: Job;
  record: JobRecord;
  /** `shared.results`, where a Sink collects by default. */
  results: unknown[];
  events: JobEvent[];
  /** Payloads a routine emitted as `event`, in order. */
  emitted(routine_id: string, event: string): JsonObject[];
  /** Data of the job's `log` events. */
  logs(): JsonObject[];
  elapsedMs: number;
}

export interface RunOptions {
  entry?: string;
  registry?: RoutineRegistry;
  /** Fail the test (and cancel the job) if it has not finished by then. */
  withinMs?: number;
  /** Called right after start, e.g. to cancel the job part-way. */
  whileRunning?: (job: Job) => Promise<void> | void;
}

let jobs = 0;

export function flowFrom(dsl: unknown, registry: RoutineRegistry = testRegistry()): FlowDefinition {
  return parseAndValidateFlowDsl(dsl, registry, { now: "2026-01-15T08:30:00.000Z", flow_id: "test_flow" })
    .flow;
}

export async function runFlow(dsl: unknown, params: JsonObject = {}, options: RunOptions = {}): Promise<Run> {
  const registry = options.registry ?? testRegistry();
  return runDefinition(flowFrom(dsl, registry), params, { ...options, registry });
}

export async function runDefinition(
  flow: FlowDefinition,
  params: JsonObject,
  options: RunOptions = {},
): Promise<Run> {
  const job = new Job({
    job_id: `job-${++jobs}`,
    flow: compileFlow(flow, options.registry ?? testRegistry()),
  });
  const started = performance.now();
  job.start(options.entry ?? "start", params);
  await options.whileRunning?.(job);
  const record = await finishWithin(job, options.withinMs ?? 5_000);
  const events = job.log.all();
  return {
    job,
    record,
    results: (job.shared.results ?? []) as unknown[],
    events,
    emitted: (routine_id, event) =>
      events
        .filter(
          (e) =>
            e.type === "event_emitted" && e.data.routine_id === routine_id && e.data.event_name === event,
        )
        .map((e) => e.data.payload as JsonObject),
    logs: () => events.filter((e) => e.type === "log").map((e) => e.data),
    elapsedMs: performance.now() - started,
  };
}

async function finishWithin(job: Job, ms: number): Promise<JobRecord> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      if (job.status !== "completed" && job.status !== "failed" && job.status !== "cancelled") job.cancel();
      reject(new Error(`job did not finish within ${ms} ms (status ${job.status})`));
    }, ms);
  });
  try {
    return await Promise.race([job.done, late]);
  } finally {
    clearTimeout(timer);
  }
}
