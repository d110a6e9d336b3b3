import { type Clock, defaultClock, type IdFactory, newId } from "../core/clock.js";
import type { RoutineRegistry } from "../core/routine.js";
import { demoFlows } from "../routines/demo-flows.js";
import type { ServiceLimits } from "./limits.js";
import { LocalDebugService } from "./local-debug-service.js";
import { LocalJobService } from "./local-job-service.js";
import { failInterruptedJobs } from "./recovery.js";
import { type RetentionSettings, sweepRetention } from "./retention.js";
import type { Store } from "./store.js";
import { StoredFlowService } from "./stored-flow-service.js";

export const SHUTDOWN_ERROR = "interrupted by server shutdown";

export interface ServicesOptions {
  store: Store;
  registry: RoutineRegistry;
  maxEventsPerJob?: number;
  /** Per-job and server-wide limits (`limitsFromConfig`); unset ones are not enforced. */
  limits?: Partial<ServiceLimits>;
  retention?: RetentionSettings;
  /** Register the four demo flows (without overwriting stored flows of the same ids). */
  demoFlows?: boolean;
  clock?: Clock;
  newId?: IdFactory;
  onError?: (error: unknown) => void;
}

export interface Services {
  jobs: LocalJobService;
  flows: StoredFlowService;
  debug: LocalDebugService;
  store: Store;
  registry: RoutineRegistry;
  /** Jobs marked failed at start-up because a restart interrupted them. */
  interrupted: number;
  /** One retention sweep; the entry decides how often. */
  sweep(): Promise<number>;
  /** Fails the jobs still running (a closed store cannot record them), waits for pending writes, closes the store. */
  close(): Promise<void>;
}

/** Wires store, flows and jobs the same way for every in-process runtime (Node, Bun, tests). */
export async function createServices(options: ServicesOptions): Promise<Services> {
  const clock = options.clock ?? defaultClock;
  const ids = options.newId ?? newId;
  const { store, registry } = options;
  const interrupted = await failInterruptedJobs(store, clock);
  const flows = new StoredFlowService({ store, registry, clock, newId: ids });
  if (options.demoFlows ?? true) await flows.registerDefaults(demoFlows(clock.iso()));
  const limits = { ...options.limits };
  const debug = new LocalDebugService(store, options.onError, undefined, limits);
  const jobs = new LocalJobService({
    store,
    flows,
    registry,
    clock,
    newId: ids,
    maxEventsPerJob: options.maxEventsPerJob ?? limits.maxEventsPerJob,
    limits,
    prepare: debug.prepare,
    onError: options.onError,
  });
  debug.attach(jobs);
  return {
    jobs,
    flows,
    debug,
    store,
    registry,
    interrupted,
    async sweep() {
      const deleted = await sweepRetention(store, options.retention ?? {}, clock);
      // Finished jobs cached in memory must not keep answering once the store has let them go.
      if (deleted > 0) jobs.forgetFinished();
      return deleted;
    },
    async close() {
      jobs.interruptAll(SHUTDOWN_ERROR);
      await jobs.flushed();
      await store.close();
    },
  };
}
