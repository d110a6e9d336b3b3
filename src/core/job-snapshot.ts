import { z } from "zod";
import { JobRecordSchema } from "./types.js";

const json = z.record(z.string(), z.unknown());

/**
 * Everything a job needs to go on in another process: taken when no handler is running (a handler's locals
 * cannot be saved), e.g. each time a job parks. The Workers build stores one per Durable Object.
 */
export const JobSnapshotSchema = z.object({
  record: JobRecordSchema,
  last_seq: z.number().int().min(0),
  queue: z.array(
    z.object({
      routine_id: z.string(),
      slot_name: z.string(),
      payload: json,
      caused_by: z.number().int(),
      event_name: z.string().nullable(),
      attempt: z.number().int(),
      cleared: z.boolean(),
    }),
  ),
  routine_states: z.record(z.string(), json),
  shared: json,
  /** Append-merge buffers by `<routine_id>.<slot_name>`. */
  merge_buffers: z.record(z.string(), z.record(z.string(), z.array(z.unknown()))),
  paused_at: z
    .object({
      routine_id: z.string().nullable(),
      slot_name: z.string().nullable(),
      event_name: z.string().nullable(),
      breakpoint_id: z.string().nullable(),
      /** Index in `queue` of the parked delivery, or null. */
      queue_index: z.number().int().nullable(),
      payload: json.nullable(),
    })
    .nullable(),
  /** ISO time at which the job times out, or null. */
  deadline: z.string().nullable(),
  /** The job's counts (views.ts JobTotals); absent in snapshots taken before jobs kept them. */
  totals: z
    .object({
      events: z.number(),
      slot_calls: z.number(),
      event_emits: z.number(),
      routines: z.record(
        z.string(),
        z.object({
          status: z.string(),
          execution_count: z.number(),
          last_execution: z.string().nullable(),
          error: z.string().nullable(),
          settled: z.number(),
          total_duration: z.number(),
          min_duration: z.number().nullable(),
          max_duration: z.number().nullable(),
          error_count: z.number(),
          last_settled: z.string().nullable(),
        }),
      ),
    })
    .optional(),
});
export type JobSnapshot = z.infer<typeof JobSnapshotSchema>;
