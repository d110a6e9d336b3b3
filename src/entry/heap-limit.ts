import { getHeapStatistics } from "node:v8";

/** The JavaScript heap's limit on Node and Bun; `ROUTILUX_MAX_TOTAL_BYTES` defaults to half of it. */
export function heapLimitBytes(): number | undefined {
  try {
    const limit = getHeapStatistics().heap_size_limit;
    return Number.isFinite(limit) && limit > 0 ? limit : undefined;
  } catch {
    return undefined;
  }
}
