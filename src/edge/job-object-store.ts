import type { Breakpoint } from "../core/breakpoints.js";
import { type JobSnapshot, JobSnapshotSchema } from "../core/job-snapshot.js";
import type { JobEvent, JobRecord } from "../core/types.js";
import type { SqliteDriver } from "../service/sqlite/driver.js";
import { SqliteStore } from "../service/sqlite/sqlite-store.js";
import type { EventPage } from "../service/store.js";
import type { JobStartSpec } from "./job-host.js";

/**
 * What the object keeps beside `SqliteStore`'s tables: how the job was started and its latest snapshot. Same
 * append-only discipline as service/sqlite/schema.ts, tracked in a table of its own so the two lists never collide.
 */
const EDGE_MIGRATIONS: readonly string[] = [
  `CREATE TABLE job_object (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    job_id TEXT NOT NULL,
    start_spec TEXT NOT NULL,
    snapshot TEXT,
    snapshot_seq INTEGER
  )`,
  // The record as the registry last acknowledged it: a difference means its job index is behind.
  "ALTER TABLE job_object ADD COLUMN reported TEXT",
];

function migrateEdgeTables(db: SqliteDriver): void {
  db.tx(() => {
    db.run("CREATE TABLE IF NOT EXISTS _edge_migrations (id INTEGER PRIMARY KEY)");
    const applied =
      db.all<{ count: number }>("SELECT COUNT(*) AS count FROM _edge_migrations")[0]?.count ?? 0;
    for (let id = applied + 1; id <= EDGE_MIGRATIONS.length; id++) {
      db.run(EDGE_MIGRATIONS[id - 1]!);
      db.run("INSERT INTO _edge_migrations (id) VALUES (?)", [id]);
    }
  });
}

/** What the object found in its storage when it woke up. */
export interface StoredJob {
  spec: JobStartSpec;
  record: JobRecord;
  /** The latest snapshot, or null when none was ever taken. */
  snapshot: JobSnapshot | null;
  /** Highest seq in the stored log (0 when none). */
  last_seq: number;
  /** The record the registry last acknowledged, or null when it never did. */
  reported: JobRecord | null;
}

/**
 * One job's storage inside its Durable Object: `SqliteStore` (record, event log, breakpoints) over the object's
 * SQLite, plus the start spec and the latest snapshot.
 */
export class JobObjectStore {
  #store: SqliteStore | null = null;

  constructor(private readonly db: SqliteDriver) {}

  /**
   * The tables are created by the first `create`, not on construction: asking an object about a job id that does
   * not exist (a 404) must leave nothing behind, and an object whose storage was never written costs nothing.
   */
  get store(): SqliteStore {
    if (!this.#store) {
      this.#store = new SqliteStore(this.db);
      migrateEdgeTables(this.db);
    }
    return this.#store;
  }

  #hasTables(): boolean {
    return this.db.all("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'job_object'").length > 0;
  }

  async load(): Promise<StoredJob | null> {
    if (!this.#hasTables()) return null;
    const [row] = this.db.all<{ start_spec: string; snapshot: string | null; reported: string | null }>(
      "SELECT start_spec, snapshot, reported FROM job_object WHERE id = 1",
    );
    if (!row) return null;
    const spec = JSON.parse(row.start_spec) as JobStartSpec;
    const record = await this.store.getJob(spec.job_id);
    if (!record) return null;
    const { last_seq } = await this.store.readEvents(spec.job_id, Number.MAX_SAFE_INTEGER, 0);
    const snapshot = row.snapshot === null ? null : JobSnapshotSchema.parse(JSON.parse(row.snapshot));
    const reported = row.reported === null ? null : (JSON.parse(row.reported) as JobRecord);
    return { spec, record, snapshot, last_seq, reported };
  }

  /**
   * The job's spec, first record and breakpoints. Written spec last: `load` finds a job only once all of it is
   * there, so an object that died half-way through is an object without a job.
   */
  async create(spec: JobStartSpec, record: JobRecord, breakpoints: readonly Breakpoint[]): Promise<void> {
    await this.store.saveJob(record);
    for (const breakpoint of breakpoints) await this.store.saveBreakpoint(breakpoint);
    this.db.run("INSERT OR REPLACE INTO job_object (id, job_id, start_spec) VALUES (1, ?, ?)", [
      spec.job_id,
      JSON.stringify(spec),
    ]);
  }

  /**
   * One checkpoint: new events, the record when it changed, the snapshot when the job could give one. Not one
   * transaction (SqliteStore's writes are promises), so the snapshot is written last and carries its seq: a
   * snapshot that lags behind the stored log, for whatever reason, is one `load` will not continue from.
   */
  async checkpoint(
    job_id: string,
    events: readonly JobEvent[],
    record: JobRecord | null,
    snapshot: JobSnapshot | null,
    maxEvents: number,
  ): Promise<void> {
    await this.store.appendEvents(job_id, events);
    if (record) await this.store.saveJob(record);
    const last = events.at(-1)?.seq ?? 0;
    if (last > maxEvents) await this.store.truncateEvents(job_id, maxEvents);
    if (snapshot) {
      this.db.run("UPDATE job_object SET snapshot = ?, snapshot_seq = ? WHERE id = 1", [
        JSON.stringify(snapshot),
        snapshot.last_seq,
      ]);
    }
  }

  markReported(record: JobRecord): void {
    this.db.run("UPDATE job_object SET reported = ? WHERE id = 1", [JSON.stringify(record)]);
  }

  events(job_id: string, since: number, limit: number): Promise<EventPage> {
    return this.store.readEvents(job_id, since, limit);
  }

  async allEvents(job_id: string): Promise<JobEvent[]> {
    return (await this.store.readEvents(job_id, 0, Number.MAX_SAFE_INTEGER)).events;
  }

  saveBreakpoint(breakpoint: Breakpoint): Promise<void> {
    return this.store.saveBreakpoint(breakpoint);
  }

  async deleteBreakpoint(job_id: string, breakpoint_id: string): Promise<void> {
    await this.store.deleteBreakpoint(job_id, breakpoint_id);
  }

  async breakpoints(job_id: string): Promise<Breakpoint[]> {
    return (await this.store.listBreakpoints(job_id)) as Breakpoint[];
  }
}
