import { z } from "zod";
import { type JobEvent, type JobRecord, JobRecordSchema, type JsonObject } from "./types.js";

/**
 * The read models of a job: state, metrics, trace and logs. Each is derived from the job's event log —
 * the one record of what happened — so there is no second bookkeeping path to drift from it.
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

const routineOf = (event: JobEvent): string | null =>
  typeof event.data.routine_id === "string" ? event.data.routine_id : null;

const FAILURE_STATUSES: Record<string, string> = { retrying: "retrying", skipped: "skipped" };

export function jobState(
  record: JobRecord,
  routineIds: readonly string[],
  events: readonly JobEvent[],
  live: LiveJobFacts | null,
): JobState {
  const routine_states: JobState["routine_states"] = {};
  for (const id of routineIds)
    routine_states[id] = { status: "pending", execution_count: 0, last_execution: null };
  const execution_history: JobState["execution_history"] = [];
  const pause_points: JobState["pause_points"] = [];
  const output_log: unknown[] = [];
  let current: string | null = null;

  for (const event of events) {
    const routine_id = routineOf(event);
    if (routine_id && !routine_states[routine_id]) {
      routine_states[routine_id] = { status: "pending", execution_count: 0, last_execution: null };
    }
    const state = routine_id ? routine_states[routine_id]! : null;
    switch (event.type) {
      case "routine_started":
        state!.status = "running";
        state!.execution_count++;
        state!.last_execution = event.timestamp;
        current = routine_id;
        break;
      case "routine_completed":
        state!.status = "completed";
        break;
      case "routine_failed":
        state!.status = FAILURE_STATUSES[String(event.data.status)] ?? "failed";
        state!.error = String(event.data.error);
        break;
      case "event_emitted":
        state!.result = event.data.payload;
        execution_history.push({
          routine_id: routine_id!,
          event_name: String(event.data.event_name),
          data: event.data.payload,
          timestamp: event.timestamp,
        });
        break;
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
    shared_data: live?.shared ?? {},
    shared_log: [],
    output_log,
    created_at: record.created_at,
    updated_at: events.at(-1)?.timestamp ?? record.created_at,
  };
}

export function jobMetrics(record: JobRecord, events: readonly JobEvent[]): JobMetrics {
  const routine_metrics: JobMetrics["routine_metrics"] = {};
  const errors: JsonObject[] = [];
  let total_slot_calls = 0;
  let total_event_emits = 0;
  for (const event of events) {
    if (event.type === "slot_called") total_slot_calls++;
    else if (event.type === "event_emitted") total_event_emits++;
    else if (event.type === "routine_completed" || event.type === "routine_failed") {
      const routine_id = routineOf(event)!;
      routine_metrics[routine_id] ??= {
        routine_id,
        execution_count: 0,
        total_duration: 0,
        avg_duration: 0,
        min_duration: null,
        max_duration: null,
        error_count: 0,
        last_execution: null,
      };
      const m = routine_metrics[routine_id];
      const duration = Number(event.data.duration ?? 0);
      m.execution_count++;
      m.total_duration += duration;
      m.avg_duration = m.total_duration / m.execution_count;
      m.min_duration = m.min_duration === null ? duration : Math.min(m.min_duration, duration);
      m.max_duration = m.max_duration === null ? duration : Math.max(m.max_duration, duration);
      m.last_execution = event.timestamp;
      if (event.type === "routine_failed") {
        m.error_count++;
        errors.push({ routine_id, error: event.data.error, timestamp: event.timestamp, seq: event.seq });
      }
    }
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
    total_events: events.length,
    total_slot_calls,
    total_event_emits,
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
