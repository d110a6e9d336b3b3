import { z } from "zod";
import type { Job } from "./job.js";
import { getOwn, plainCopy, setOwn } from "./own-keys.js";
import { type JobEvent, type JobRecord, JobRecordSchema, type JsonObject } from "./types.js";

/**
 * The read models of a job: state, metrics, trace and logs. Lists (history, errors, logs) are read from the job's
 * event log; counts and statuses come from the totals the job keeps, because a long job's log is truncated from
 * the front and a count re-read from it would shrink (docs/concepts.md, "Limits").
 */

const json = z.record(z.string(), z.unknown());

export const RoutineStateSchema = z.object({
  status: z.string(),
  execution_count: z.number().int(),
  last_execution: z.string().nullable(),
  error: z.string().optional(),
  result: z.unknown().optional(),
});

export const JobStateSchema = z.object({
  job_id: z.string(),
  flow_id: z.string(),
  status: JobRecordSchema.shape.status,
  current_routine_id: z.string().nullable(),
  routine_states: z.record(z.string(), RoutineStateSchema),
  execution_history: z.array(
    z.object({ routine_id: z.string(), event_name: z.string(), data: z.unknown(), timestamp: z.string() }),
  ),
  pause_points: z.array(
    z.object({ timestamp: z.string(), reason: z.string(), current_routine_id: z.string().nullable() }),
  ),
  deferred_events: z.array(z.unknown()),
  pending_tasks: z.array(z.unknown()),
  shared_data: json,
  shared_log: z.array(z.unknown()),
  output_log: z.array(z.unknown()),
  created_at: z.string(),
  updated_at: z.string(),
});
export type JobState = z.infer<typeof JobStateSchema>;

export const RoutineMetricsSchema = z.object({
  routine_id: z.string(),
  execution_count: z.number().int(),
  total_duration: z.number(),
  avg_duration: z.number(),
  min_duration: z.number().nullable(),
  max_duration: z.number().nullable(),
  error_count: z.number().int(),
  last_execution: z.string().nullable(),
});
export type RoutineMetrics = z.infer<typeof RoutineMetricsSchema>;

export const JobMetricsSchema = z.object({
  job_id: z.string(),
  flow_id: z.string(),
  start_time: z.string().nullable(),
  end_time: z.string().nullable(),
  duration: z.number().nullable(),
  routine_metrics: z.record(z.string(), RoutineMetricsSchema),
  total_events: z.number().int(),
  total_slot_calls: z.number().int(),
  total_event_emits: z.number().int(),
  errors: z.array(json),
});
export type JobMetrics = z.infer<typeof JobMetricsSchema>;

export const TraceEventSchema = z.object({
  event_id: z.string(),
  job_id: z.string(),
  routine_id: z.string().nullable(),
  event_type: z.string(),
  timestamp: z.string(),
  data: json,
  duration: z.number().nullable(),
  status: z.string().nullable(),
});
export type TraceEvent = z.infer<typeof TraceEventSchema>;

/** What the state view needs beyond the log: things only a live job knows. */
export interface LiveJobFacts {
  shared: JsonObject;
  current_routine_id: string | null;
  pending_tasks: { routine_id: string; slot_name: string }[];
}

/** One routine's counts over the whole job. */
export interface RoutineTotals {
  status: string;
  /** Handler runs started. */
  execution_count: number;
  last_execution: string | null;
  error: string | null;
  /** Handler runs that ended (completed or failed), with their durations in seconds. */
  settled: number;
  total_duration: number;
  min_duration: number | null;
  max_duration: number | null;
  error_count: number;
  last_settled: string | null;
}

/**
 * The counts a job reports: kept by the job as it runs (not re-read from its log, which may be truncated), and
 * written into its final event so a finished job's views say the same once only the store answers for it.
 */
export interface JobTotals {
  /** Events ever logged (the last seq). */
  events: number;
  slot_calls: number;
  event_emits: number;
  routines: Record<string, RoutineTotals>;
}

export const newRoutineTotals = (): RoutineTotals => ({
  status: "pending",
  execution_count: 0,
  last_execution: null,
  error: null,
  settled: 0,
  total_duration: 0,
  min_duration: null,
  max_duration: null,
  error_count: 0,
  last_settled: null,
});

const routineOf = (event: JobEvent): string | null =>
  typeof event.data.routine_id === "string" ? event.data.routine_id : null;

const FAILURE_STATUSES = new Map([
  ["retrying", "retrying"],
  ["skipped", "skipped"],
]);

const FINAL_EVENTS = new Set(["job_completed", "job_failed", "job_cancelled"]);

/** Counts a routine's settled run (completed or failed) of `duration` seconds. */
export function countSettled(totals: RoutineTotals, duration: number, timestamp: string): void {
  totals.settled++;
  totals.total_duration += duration;
  totals.min_duration = totals.min_duration === null ? duration : Math.min(totals.min_duration, duration);
  totals.max_duration = totals.max_duration === null ? duration : Math.max(totals.max_duration, duration);
  totals.last_settled = timestamp;
}

/**
 * The totals of a job whose log is all a reader has: those its final event carries, or else (a job still running
 * elsewhere, or logged before totals were kept) counted from the events themselves.
 */
export function totalsOf(events: readonly JobEvent[]): JobTotals {
  const last = events.at(-1);
  if (
    last &&
    FINAL_EVENTS.has(last.type) &&
    typeof last.data.totals === "object" &&
    last.data.totals !== null
  )
    return last.data.totals as JobTotals;
  const totals: JobTotals = { events: events.length, slot_calls: 0, event_emits: 0, routines: {} };
  for (const event of events) {
    const routine_id = routineOf(event);
    if (event.type === "slot_called") totals.slot_calls++;
    else if (event.type === "event_emitted") totals.event_emits++;
    if (routine_id === null) continue;
    let routine = getOwn(totals.routines, routine_id);
    if (!routine) {
      routine = newRoutineTotals();
      setOwn(totals.routines, routine_id, routine);
    }
    switch (event.type) {
      case "routine_started":
        routine.status = "running";
        routine.execution_count++;
        routine.last_execution = event.timestamp;
        break;
      case "routine_completed":
        routine.status = "completed";
        countSettled(routine, Number(event.data.duration ?? 0), event.timestamp);
        break;
      case "routine_failed":
        routine.status = FAILURE_STATUSES.get(String(event.data.status)) ?? "failed";
        routine.error = String(event.data.error);
        routine.error_count++;
        countSettled(routine, Number(event.data.duration ?? 0), event.timestamp);
        break;
    }
  }
  return totals;
}

/** `totals`: the job's own counts; read from `events` (see totalsOf) when the caller has none. */
export function jobState(
  record: JobRecord,
  routineIds: readonly string[],
  events: readonly JobEvent[],
  live: LiveJobFacts | null,
  totals: JobTotals = totalsOf(events),
): JobState {
  const routine_states: JobState["routine_states"] = {};
  for (const id of routineIds)
    setOwn(routine_states, id, { status: "pending", execution_count: 0, last_execution: null });
  for (const [id, routine] of Object.entries(totals.routines)) {
    setOwn(routine_states, id, {
      status: routine.status,
      execution_count: routine.execution_count,
      last_execution: routine.last_execution,
      ...(routine.error === null ? {} : { error: routine.error }),
    });
  }
  const execution_history: JobState["execution_history"] = [];
  const pause_points: JobState["pause_points"] = [];
  const output_log: unknown[] = [];
  let current: string | null = null;

  for (const event of events) {
    const routine_id = routineOf(event);
    switch (event.type) {
      case "routine_started":
        current = routine_id;
        break;
      case "event_emitted": {
        // The newest result of each routine, from the events still held.
        const state = routine_id === null ? undefined : getOwn(routine_states, routine_id);
        if (state) state.result = event.data.payload;
        execution_history.push({
          routine_id: routine_id!,
          event_name: String(event.data.event_name),
          data: event.data.payload,
          timestamp: event.timestamp,
        });
        break;
      }
      case "job_paused":
        pause_points.push({
          timestamp: event.timestamp,
          reason: String(event.data.reason),
          current_routine_id: routine_id ?? current,
        });
        break;
      case "log":
        output_log.push({ ...event.data, timestamp: event.timestamp });
        break;
    }
  }

  return {
    job_id: record.job_id,
    flow_id: record.flow_id,
    status: record.status,
    current_routine_id: live?.current_routine_id ?? current,
    routine_states,
    execution_history,
    pause_points,
    deferred_events: [],
    pending_tasks: live?.pending_tasks ?? [],
    shared_data: live ? plainCopy(live.shared) : {},
    shared_log: [],
    output_log,
    created_at: record.created_at,
    updated_at: events.at(-1)?.timestamp ?? record.created_at,
  };
}

/** The state view of a job still in memory, with what only the live job knows: shared data, queue, current routine. */
export function liveJobState(job: Job, events: readonly JobEvent[]): JobState {
  const current = job.pausedAt?.routine_id ?? job.running[0]?.routine_id ?? null;
  return jobState(
    job.record(),
    [...job.flow.routines.keys()],
    events,
    {
      shared: job.shared,
      current_routine_id: current,
      pending_tasks: job.queued.map((d) => ({ routine_id: d.routine_id, slot_name: d.slot_name })),
    },
    job.totals(),
  );
}

/** `totals` as in jobState; `errors` lists the failures still held in `events`. */
export function jobMetrics(
  record: JobRecord,
  events: readonly JobEvent[],
  totals: JobTotals = totalsOf(events),
): JobMetrics {
  const routine_metrics: JobMetrics["routine_metrics"] = {};
  for (const [routine_id, routine] of Object.entries(totals.routines)) {
    if (routine.settled === 0) continue;
    setOwn(routine_metrics, routine_id, {
      routine_id,
      execution_count: routine.settled,
      total_duration: routine.total_duration,
      avg_duration: routine.total_duration / routine.settled,
      min_duration: routine.min_duration,
      max_duration: routine.max_duration,
      error_count: routine.error_count,
      last_execution: routine.last_settled,
    });
  }
  const errors: JsonObject[] = [];
  for (const event of events) {
    if (event.type === "routine_failed")
      errors.push({
        routine_id: routineOf(event),
        error: event.data.error,
        timestamp: event.timestamp,
        seq: event.seq,
      });
  }
  const start = record.started_at;
  const end = record.completed_at;
  return {
    job_id: record.job_id,
    flow_id: record.flow_id,
    start_time: start,
    end_time: end,
    duration: start ? ((end ? Date.parse(end) : Date.now()) - Date.parse(start)) / 1000 : null,
    routine_metrics,
    total_events: totals.events,
    total_slot_calls: totals.slot_calls,
    total_event_emits: totals.event_emits,
    errors,
  };
}

export function traceEvent(event: JobEvent): TraceEvent {
  return {
    event_id: `${event.job_id}:${event.seq}`,
    job_id: event.job_id,
    routine_id: routineOf(event),
    event_type: event.type,
    timestamp: event.timestamp,
    data: event.data,
    duration: typeof event.data.duration === "number" ? event.data.duration : null,
    status: typeof event.data.status === "string" ? event.data.status : null,
  };
}

export function jobLogs(events: readonly JobEvent[]): JsonObject[] {
  return events
    .filter((event) => event.type === "log")
    .map((event) => ({ ...event.data, seq: event.seq, timestamp: event.timestamp }));
}
