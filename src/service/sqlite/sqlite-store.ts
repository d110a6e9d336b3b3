import type { FlowDefinition } from "../../core/flow.js";
import { FINISHED_STATUSES, type JobEvent, type JobRecord, type JobStatus } from "../../core/types.js";
import { encodeJobCursor, normalizeTimeBound } from "../job-cursor.js";
import type { EventPage, JobPage, JobQuery, RetentionPolicy, Store, StoredBreakpoint } from "../store.js";
import type { SqliteDriver, SqlValue } from "./driver.js";
import { JOB_COLUMNS, jobListStatements } from "./job-list-sql.js";
import { migrate } from "./schema.js";

/**
 * The Store on SQLite, through any synchronous driver. Owns the driver: `close()` closes it.
 * Every read returns fresh objects, so callers may change what they get.
 */
export class SqliteStore implements Store {
  constructor(private readonly db: SqliteDriver) {
    migrate(db);
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
    this.db.tx(() => {
      for (const event of events) {
        this.db.run("INSERT INTO job_events (job_id, seq, type, timestamp, data) VALUES (?, ?, ?, ?, ?)", [
          jobId,
          event.seq,
          event.type,
          event.timestamp,
          JSON.stringify(event.data),
        ]);
      }
    });
  }

  async readEvents(jobId: string, since: number, limit: number): Promise<EventPage> {
    const rows = this.db.all<{ seq: number; type: JobEvent["type"]; timestamp: string; data: string }>(
      "SELECT seq, type, timestamp, data FROM job_events WHERE job_id = ? AND seq > ? ORDER BY seq LIMIT ?",
      [jobId, since, Math.max(0, limit)],
    );
    const [bounds] = this.db.all<{ oldest: number | null; last: number | null; dropped: number | null }>(
      `SELECT (SELECT MIN(seq) FROM job_events WHERE job_id = ?) AS oldest,
              (SELECT MAX(seq) FROM job_events WHERE job_id = ?) AS last,
              (SELECT truncated_through FROM job_event_truncations WHERE job_id = ?) AS dropped`,
      [jobId, jobId, jobId],
    );
    const lastSeq = bounds?.last ?? bounds?.dropped ?? 0;
    return {
      events: rows.map(({ seq, type, timestamp, data }) => ({
        seq,
        job_id: jobId,
        type,
        timestamp,
        data: JSON.parse(data),
      })),
      last_seq: lastSeq,
      oldest_seq: bounds?.oldest ?? lastSeq + 1,
    };
  }

  async truncateEvents(jobId: string, keep: number): Promise<void> {
    this.db.tx(() => {
      const [row] = this.db.all<{ last: number | null }>(
        "SELECT MAX(seq) AS last FROM job_events WHERE job_id = ?",
        [jobId],
      );
      if (row?.last == null) return;
      const through = row.last - Math.max(0, keep);
      const dropped = this.db.run("DELETE FROM job_events WHERE job_id = ? AND seq <= ?", [jobId, through]);
      if (dropped.changes === 0) return;
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

  async sweep(policy: RetentionPolicy): Promise<number> {
    const doomed = doomedJobs(policy);
    if (!doomed) return 0;
    return this.db.tx(() => {
      // The jobs go last: the other deletes find their job ids through them.
      for (const table of ["job_events", "job_event_truncations", "breakpoints"]) {
        this.db.run(
          `${doomed.sql} DELETE FROM ${table} WHERE job_id IN (SELECT job_id FROM doomed)`,
          doomed.params,
        );
      }
      return this.db.run(
        `${doomed.sql} DELETE FROM jobs WHERE job_id IN (SELECT job_id FROM doomed)`,
        doomed.params,
      ).changes;
    });
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

const parseFlow = (row: { definition: string }): FlowDefinition =>
  JSON.parse(row.definition) as FlowDefinition;

const placeholders = (count: number): string => Array.from({ length: count }, () => "?").join(", ");

/** A `WITH doomed AS (…)` prefix naming the finished jobs the policy removes; null when it removes none. */
function doomedJobs(policy: RetentionPolicy): { sql: string; params: SqlValue[] } | null {
  const reasons: string[] = [];
  const params: SqlValue[] = [...FINISHED_STATUSES];
  if (policy.maxJobs !== undefined) {
    reasons.push("newest_rank > ?");
    params.push(Math.max(0, policy.maxJobs));
  }
  if (policy.finishedBefore !== undefined) {
    reasons.push("completed_at < ?");
    params.push(normalizeTimeBound("finishedBefore", policy.finishedBefore));
  }
  if (reasons.length === 0) return null;
  const sql = `WITH doomed AS (
    SELECT job_id FROM (
      SELECT job_id, completed_at, ROW_NUMBER() OVER (ORDER BY created_at DESC, job_id DESC) AS newest_rank
      FROM jobs WHERE status IN (${placeholders(FINISHED_STATUSES.size)})
    ) WHERE ${reasons.join(" OR ")}
  )`;
  return { sql, params };
}
