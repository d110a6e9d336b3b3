import type { FlowDefinition } from "../../core/flow.js";
import { FINISHED_STATUSES, type JobEvent, type JobRecord, type JobStatus } from "../../core/types.js";
import { encodeJobCursor, type JobKey, normalizeTimeBound } from "../job-cursor.js";
import type { EventPage, JobPage, JobQuery, RetentionPolicy, Store, StoredBreakpoint } from "../store.js";
import type { SqliteDriver, SqlValue } from "./driver.js";
import { decodeChunks, encodeChunks } from "./event-chunks.js";
import { JOB_COLUMNS, jobListStatements } from "./job-list-sql.js";
import { migrate } from "./schema.js";

/**
 * The Store on SQLite, through any synchronous driver. Owns the driver: `close()` closes it.
 * Every read returns fresh objects, so callers may change what they get.
 */
export class SqliteStore implements Store {
  constructor(private readonly db: SqliteDriver) {
    try {
      migrate(db);
    } catch (error) {
      // Nobody else will close a driver whose store was never made.
      db.close();
      throw error;
    }
  }

  async saveFlow(flow: FlowDefinition): Promise<void> {
    this.db.run(
      `INSERT INTO flows (flow_id, definition, created_at, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (flow_id) DO UPDATE SET
         definition = excluded.definition, created_at = excluded.created_at, updated_at = excluded.updated_at`,
      [flow.flow_id, JSON.stringify(flow), flow.created_at, flow.updated_at],
    );
  }

  async getFlow(flowId: string): Promise<FlowDefinition | null> {
    const [row] = this.db.all<{ definition: string }>("SELECT definition FROM flows WHERE flow_id = ?", [
      flowId,
    ]);
    return row ? parseFlow(row) : null;
  }

  async listFlows(): Promise<FlowDefinition[]> {
    return this.db
      .all<{ definition: string }>("SELECT definition FROM flows ORDER BY flow_id")
      .map(parseFlow);
  }

  async deleteFlow(flowId: string): Promise<boolean> {
    return this.db.run("DELETE FROM flows WHERE flow_id = ?", [flowId]).changes > 0;
  }

  async saveJob(job: JobRecord): Promise<void> {
    this.db.run(
      `INSERT INTO jobs (${JOB_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (job_id) DO UPDATE SET
         flow_id = excluded.flow_id, status = excluded.status, created_at = excluded.created_at,
         started_at = excluded.started_at, completed_at = excluded.completed_at, error = excluded.error`,
      [job.job_id, job.flow_id, job.status, job.created_at, job.started_at, job.completed_at, job.error],
    );
  }

  async getJob(jobId: string): Promise<JobRecord | null> {
    const [row] = this.db.all<JobRecord>(`SELECT ${JOB_COLUMNS} FROM jobs WHERE job_id = ?`, [jobId]);
    return row ?? null;
  }

  async listJobs(query: JobQuery): Promise<JobPage> {
    const { total, page } = jobListStatements(query);
    const [counted] = this.db.all<{ total: number }>(total.sql, total.params);
    const rows = this.db.all<JobRecord>(page.sql, page.params);
    const jobs = rows.slice(0, Math.max(0, query.limit));
    const last = jobs.at(-1);
    return {
      jobs,
      total: counted?.total ?? 0,
      next_cursor: last && rows.length > jobs.length ? encodeJobCursor(last) : null,
    };
  }

  async jobsWithStatus(statuses: readonly JobStatus[]): Promise<JobRecord[]> {
    const wanted = [...new Set(statuses)];
    if (wanted.length === 0) return [];
    return this.db.all<JobRecord>(
      `SELECT ${JOB_COLUMNS} FROM jobs WHERE status IN (${placeholders(wanted.length)}) ORDER BY created_at, job_id`,
      wanted,
    );
  }

  async appendEvents(jobId: string, events: readonly JobEvent[]): Promise<void> {
    if (events.length === 0) return;
    const chunks = encodeChunks(events);
    this.db.tx(() => {
      for (const chunk of chunks) {
        this.db.run(
          "INSERT INTO job_event_chunks (job_id, last_seq, first_seq, events) VALUES (?, ?, ?, ?)",
          [jobId, chunk.last_seq, chunk.first_seq, chunk.events],
        );
      }
    });
  }

  async readEvents(jobId: string, since: number, limit: number): Promise<EventPage> {
    const bounds = this.#logBounds(jobId);
    const after = Math.max(since, bounds.oldest_seq - 1);
    const wanted = Math.max(0, limit);
    // Seqs are gap-free, so the page is exactly the seqs (after, after + wanted]: its chunks are one range scan.
    const through = Math.min(after + wanted, bounds.last_seq);
    const texts =
      through <= after
        ? []
        : this.db
            .all<{ events: string }>(
              `SELECT events FROM job_event_chunks
               WHERE job_id = ? AND last_seq > ? AND first_seq <= ? ORDER BY last_seq`,
              [jobId, after, through],
            )
            .map((row) => row.events);
    return { events: decodeChunks(jobId, texts, after, through, wanted), ...bounds };
  }

  /** last_seq and oldest_seq of a job's log, truncation included. */
  #logBounds(jobId: string): Omit<EventPage, "events"> {
    const [row] = this.db.all<{ first: number | null; last: number | null; dropped: number | null }>(
      `SELECT (SELECT first_seq FROM job_event_chunks WHERE job_id = ? ORDER BY last_seq LIMIT 1) AS first,
              (SELECT MAX(last_seq) FROM job_event_chunks WHERE job_id = ?) AS last,
              (SELECT truncated_through FROM job_event_truncations WHERE job_id = ?) AS dropped`,
      [jobId, jobId, jobId],
    );
    const dropped = row?.dropped ?? 0;
    const last_seq = Math.max(row?.last ?? 0, dropped);
    // The oldest chunk may still hold events a truncation dropped; they are below `dropped + 1`.
    const oldest_seq = row?.first == null ? last_seq + 1 : Math.max(row.first, dropped + 1);
    return { last_seq, oldest_seq };
  }

  async truncateEvents(jobId: string, keep: number): Promise<void> {
    this.db.tx(() => {
      const { last_seq, oldest_seq } = this.#logBounds(jobId);
      const through = last_seq - Math.max(0, keep);
      if (through < oldest_seq) return;
      // Whole chunks below the cut go; the chunk the cut falls in stays, its dropped events hidden by the marker.
      this.db.run("DELETE FROM job_event_chunks WHERE job_id = ? AND last_seq <= ?", [jobId, through]);
      this.db.run(
        `INSERT INTO job_event_truncations (job_id, truncated_through) VALUES (?, ?)
         ON CONFLICT (job_id) DO UPDATE SET truncated_through = excluded.truncated_through`,
        [jobId, through],
      );
    });
  }

  async saveBreakpoint(breakpoint: StoredBreakpoint): Promise<void> {
    this.db.run(
      `INSERT INTO breakpoints (job_id, breakpoint_id, data) VALUES (?, ?, ?)
       ON CONFLICT (job_id, breakpoint_id) DO UPDATE SET data = excluded.data`,
      [breakpoint.job_id, breakpoint.breakpoint_id, JSON.stringify(breakpoint)],
    );
  }

  async deleteBreakpoint(jobId: string, breakpointId: string): Promise<boolean> {
    return (
      this.db.run("DELETE FROM breakpoints WHERE job_id = ? AND breakpoint_id = ?", [jobId, breakpointId])
        .changes > 0
    );
  }

  async listBreakpoints(jobId: string): Promise<StoredBreakpoint[]> {
    return this.db
      .all<{ data: string }>("SELECT data FROM breakpoints WHERE job_id = ? ORDER BY rowid", [jobId])
      .map((row) => JSON.parse(row.data) as StoredBreakpoint);
  }

  /**
   * Deletes in transactions of at most `SWEEP_BATCH` jobs, yielding to the event loop between them: one
   * transaction for 20 000 jobs held the event loop (and every request) for 1.5 s. The oldest finished jobs beyond
   * `maxJobs` go first, then those completed before `finishedBefore`; together that is what either would remove.
   * What is beyond the limits is decided as the sweep starts; jobs that finish meanwhile are left to the next one.
   */
  async sweep(policy: RetentionPolicy): Promise<number> {
    const finishedBefore =
      policy.finishedBefore === undefined
        ? undefined
        : normalizeTimeBound("finishedBefore", policy.finishedBefore);
    let swept = 0;
    if (policy.maxJobs !== undefined) {
      let excess = this.#finishedCount() - Math.max(0, policy.maxJobs);
      swept += await this.#sweepInBatches((after) => {
        const batch =
          excess <= 0 ? [] : this.#oldestFinished(after, undefined, Math.min(excess, SWEEP_BATCH));
        excess -= batch.length;
        return batch;
      });
    }
    if (finishedBefore !== undefined) {
      swept += await this.#sweepInBatches((after) =>
        this.#oldestFinished(after, finishedBefore, SWEEP_BATCH),
      );
    }
    return swept;
  }

  /**
   * Deletes the jobs `pick` names, batch after batch, until it names none. Each batch continues after the last
   * job of the one before, so unfinished jobs in the way are read once per sweep, not once per batch.
   */
  async #sweepInBatches(pick: (after: JobKey | null) => JobKey[]): Promise<number> {
    let swept = 0;
    let after: JobKey | null = null;
    for (;;) {
      const batch = this.db.tx(() => {
        const keys = pick(after);
        return { deleted: this.#deleteJobs(keys.map((key) => key.job_id)), last: keys.at(-1) };
      });
      if (!batch.last) return swept;
      swept += batch.deleted;
      after = batch.last;
      await yieldToEventLoop();
    }
  }

  #deleteJobs(jobIds: readonly string[]): number {
    if (jobIds.length === 0) return 0;
    const list = placeholders(jobIds.length);
    for (const table of ["job_event_chunks", "job_event_truncations", "breakpoints"]) {
      this.db.run(`DELETE FROM ${table} WHERE job_id IN (${list})`, jobIds);
    }
    return this.db.run(`DELETE FROM jobs WHERE job_id IN (${list})`, jobIds).changes;
  }

  #finishedCount(): number {
    const [row] = this.db.all<{ count: number }>(
      `SELECT COALESCE(SUM(count), 0) AS count FROM job_counts WHERE status IN (${FINISHED_LIST})`,
      [...FINISHED_STATUSES],
    );
    return row?.count ?? 0;
  }

  /**
   * The oldest finished jobs after `after` in creation order, optionally only those completed before `instant`.
   * A job completes after it is created, so with `instant` only jobs created before it are looked at: a range
   * of the creation-order index instead of every job.
   */
  #oldestFinished(after: JobKey | null, instant: string | undefined, limit: number): JobKey[] {
    const conditions = [`status IN (${FINISHED_LIST})`];
    const params: SqlValue[] = [...FINISHED_STATUSES];
    if (after) {
      conditions.push("(created_at, job_id) > (?, ?)");
      params.push(after.created_at, after.job_id);
    }
    if (instant !== undefined) {
      conditions.push("created_at < ?", "completed_at < ?");
      params.push(instant, instant);
    }
    return this.db.all<JobKey>(
      `SELECT created_at, job_id FROM jobs INDEXED BY jobs_by_created WHERE ${conditions.join(" AND ")}
       ORDER BY created_at, job_id LIMIT ?`,
      [...params, limit],
    );
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

const parseFlow = (row: { definition: string }): FlowDefinition =>
  JSON.parse(row.definition) as FlowDefinition;

const placeholders = (count: number): string => Array.from({ length: count }, () => "?").join(", ");

/**
 * Jobs per sweep transaction. Deleting a job touches a dozen B-trees (its row, four list indexes, the counts, its
 * event chunks, breakpoints): 200 jobs took 8-13 ms (p50) on a loaded 2-core machine, so 100 keeps each hold of
 * the event loop to a few milliseconds.
 */
const SWEEP_BATCH = 100;

const FINISHED_LIST = placeholders(FINISHED_STATUSES.size);

const yieldToEventLoop = (): Promise<void> =>
  new Promise((resolve) =>
    typeof globalThis.setImmediate === "function" ? globalThis.setImmediate(resolve) : setTimeout(resolve, 0),
  );
