import type { Clock } from "../core/clock.js";
import type { Store } from "./store.js";

export const INTERRUPTED_ERROR = "interrupted by server restart";

/**
 * A job that was unfinished when the process died can never resume (its handlers' memory is gone), so at start-up
 * it becomes `failed` with a final `job_failed` event: never silently lost, never shown as running forever.
 */
export async function failInterruptedJobs(store: Store, clock: Clock): Promise<number> {
  const interrupted = await store.jobsWithStatus(["pending", "running", "paused"]);
  for (const job of interrupted) {
    const { last_seq } = await store.readEvents(job.job_id, Number.MAX_SAFE_INTEGER, 1);
    const timestamp = clock.iso();
    await store.appendEvents(job.job_id, [
      {
        seq: last_seq + 1,
        job_id: job.job_id,
        type: "job_failed",
        timestamp,
        data: { error: INTERRUPTED_ERROR },
      },
    ]);
    await store.saveJob({ ...job, status: "failed", error: INTERRUPTED_ERROR, completed_at: timestamp });
  }
  return interrupted.length;
}
