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
});
export type JobSnapshot = z.infer<typeof JobSnapshotSchema>;
