import type { Config } from "../config.js";

/**
 * The limits the services enforce on jobs, breakpoints and memory, from `ROUTILUX_*` variables (docs/security.md
 * lists each with what a client sees when it hits it). Runtime-free: the entry resolves the memory default.
 */
export interface ServiceLimits {
  maxEventsPerJob: number;
  maxEventBytes: number;
  maxLogBytes: number;
  maxJobBytes: number;
  maxPendingDeliveries: number;
  /** All jobs' live data and in-memory logs together. */
  maxTotalBytes: number;
  maxActiveJobs: number;
  maxBreakpointsPerJob: number;
  maxConditionSteps: number;
}

/** No limit at all: for benchmarks that measure what the bookkeeping costs, and for embedders who opt out. */
export const UNLIMITED: ServiceLimits = {
  maxEventsPerJob: Number.POSITIVE_INFINITY,
  maxEventBytes: Number.POSITIVE_INFINITY,
  maxLogBytes: Number.POSITIVE_INFINITY,
  maxJobBytes: Number.POSITIVE_INFINITY,
  maxPendingDeliveries: Number.POSITIVE_INFINITY,
  maxTotalBytes: Number.POSITIVE_INFINITY,
  maxActiveJobs: Number.POSITIVE_INFINITY,
  maxBreakpointsPerJob: Number.POSITIVE_INFINITY,
  maxConditionSteps: Number.POSITIVE_INFINITY,
};

/** Used when `ROUTILUX_MAX_TOTAL_BYTES` is unset and the runtime cannot tell its heap limit. */
const FALLBACK_TOTAL_BYTES = 1024 ** 3;

/** `heapLimitBytes`: the runtime's heap limit, when the entry can read it (`v8.getHeapStatistics()`). */
export function limitsFromConfig(config: Config, heapLimitBytes?: number): ServiceLimits {
  return {
    maxEventsPerJob: config.maxEventsPerJob,
    maxEventBytes: config.maxEventBytes,
    maxLogBytes: config.maxLogBytes,
    maxJobBytes: config.maxJobBytes,
    maxPendingDeliveries: config.maxPendingDeliveries,
    maxTotalBytes:
      config.maxTotalBytes ?? (heapLimitBytes ? Math.floor(heapLimitBytes / 2) : FALLBACK_TOTAL_BYTES),
    maxActiveJobs: config.maxActiveJobs,
    maxBreakpointsPerJob: config.maxBreakpointsPerJob,
    maxConditionSteps: config.maxConditionSteps,
  };
}
