import type { FlowDefinition } from "../../src/core/flow.js";
import { JOB_STATUSES, type JobEvent, type JobRecord, type JobStatus } from "../../src/core/types.js";
import type { JobQuery } from "../../src/service/store.js";

export const SAMPLE_FLOWS = ["flow_a", "flow_b", "flow_c"] as const;
export const T0 = Date.parse("2026-01-15T08:00:00.000Z");
export const iso = (ms: number): string => new Date(ms).toISOString();
export const FINISHED: readonly JobStatus[] = ["completed", "failed", "cancelled"];
export const UNFINISHED: readonly JobStatus[] = ["pending", "running", "paused"];

/** A small deterministic generator, so a failing combination fails the same way on every run. */
function randomSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

export function job(fields: Partial<JobRecord> & Pick<JobRecord, "job_id">): JobRecord {
  return {
    flow_id: "flow_a",
    status: "pending",
    created_at: iso(T0),
    started_at: null,
    completed_at: null,
    error: null,
    ...fields,
  };
}

/**
 * `count` jobs over every status and flow, `tiesPerInstant` of them created in the same millisecond, with ids
 * whose order has nothing to do with creation order (so ties are broken by id, not by insertion), in shuffled order.
 */
export function sampleJobs(count: number, tiesPerInstant = 7, seed = 42): JobRecord[] {
  const random = randomSource(seed);
  const ids = new Set<string>();
  while (ids.size < count)
    ids.add(
      `job_${Math.floor(random() * 36 ** 8)
        .toString(36)
        .padStart(8, "0")}`,
    );
  const jobs = [...ids].map((jobId, i) => {
    const status = JOB_STATUSES[Math.floor(random() * JOB_STATUSES.length)]!;
    const createdMs = T0 + Math.floor(i / tiesPerInstant);
    return job({
      job_id: jobId,
      flow_id: SAMPLE_FLOWS[Math.floor(random() * SAMPLE_FLOWS.length)]!,
      status,
      created_at: iso(createdMs),
      started_at: status === "pending" ? null : iso(createdMs + 5),
      completed_at: FINISHED.includes(status) ? iso(createdMs + 50) : null,
      error: status === "failed" ? "boom" : null,
    });
  });
  for (let i = jobs.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [jobs[i], jobs[j]] = [jobs[j]!, jobs[i]!];
  }
  return jobs;
}

/** What a job list must return, computed the obvious way: filter everything, sort, and nothing clever. */
export function expectedJobs(
  all: readonly JobRecord[],
  query: Omit<JobQuery, "limit" | "offset">,
): JobRecord[] {
  const after = query.created_after && new Date(query.created_after).toISOString();
  const before = query.created_before && new Date(query.created_before).toISOString();
  const matches = all.filter(
    (j) =>
      (query.flow_id === undefined || j.flow_id === query.flow_id) &&
      (query.status === undefined || j.status === query.status) &&
      (after === undefined || j.created_at >= after) &&
      (before === undefined || j.created_at < before),
  );
  const ascending = (a: JobRecord, b: JobRecord) =>
    a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.job_id < b.job_id ? -1 : 1;
  matches.sort(query.order === "asc" ? ascending : (a, b) => ascending(b, a));
  return matches;
}

export const ids = (jobs: readonly JobRecord[]): string[] => jobs.map((j) => j.job_id);

export function events(jobId: string, fromSeq: number, toSeq: number): JobEvent[] {
  return Array.from({ length: toSeq - fromSeq + 1 }, (_, i) => ({
    seq: fromSeq + i,
    job_id: jobId,
    type: "log" as const,
    timestamp: iso(T0 + fromSeq + i),
    data: { message: `event ${fromSeq + i}`, nested: { index: fromSeq + i, tags: ["a", "b"] } },
  }));
}

export function flow(flowId: string, fields: Partial<FlowDefinition> = {}): FlowDefinition {
  return {
    flow_id: flowId,
    routines: {
      source: { class_name: "data_source", config: { count: 3 }, error_handler: null },
      sink: {
        class_name: "logger",
        config: {},
        error_handler: { strategy: "retry", max_retries: 2, retry_delay: 0.5, retry_backoff: 2 },
      },
    },
    connections: [
      {
        source_routine: "source",
        source_event: "output",
        target_routine: "sink",
        target_slot: "input",
        param_mapping: null,
      },
    ],
    execution_strategy: "sequential",
    max_workers: 5,
    timeout: null,
    created_at: iso(T0),
    updated_at: iso(T0),
    ...fields,
  };
}
