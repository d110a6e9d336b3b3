import type { SqliteDriver } from "./driver.js";

/**
 * The schema as an append-only list of single statements (a Durable Object's `exec` and better-sqlite3's `prepare`
 * both take one at a time). Statement N is applied once, in order, and recorded in `_migrations` — a table rather
 * than `PRAGMA user_version`, which Durable Object SQLite does not allow. Never edit a shipped statement; append.
 */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE flows (
    flow_id TEXT PRIMARY KEY,
    definition TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  )`,
  // WITHOUT ROWID: secondary indexes then point at job_id itself, so fetching a listed job is one B-tree lookup.
  `CREATE TABLE jobs (
    job_id TEXT PRIMARY KEY,
    flow_id TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    started_at TEXT,
    completed_at TEXT,
    error TEXT
  ) WITHOUT ROWID`,
  // One index per filter combination of the job list, each ending in its keyset order (created_at, job_id).
  "CREATE INDEX jobs_by_created ON jobs (created_at, job_id)",
  "CREATE INDEX jobs_by_status ON jobs (status, created_at, job_id)",
  "CREATE INDEX jobs_by_flow ON jobs (flow_id, created_at, job_id)",
  "CREATE INDEX jobs_by_flow_status ON jobs (flow_id, status, created_at, job_id)",
  // Totals of the job list without date bounds, kept by triggers in the transaction of every job write:
  // COUNT(*) walks every matching index entry (3 ms per 33 000 jobs), this is a sum over flows × statuses rows.
  `CREATE TABLE job_counts (
    flow_id TEXT NOT NULL,
    status TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (flow_id, status)
  ) WITHOUT ROWID`,
  `CREATE TRIGGER jobs_counted_on_insert AFTER INSERT ON jobs BEGIN
    INSERT INTO job_counts (flow_id, status, count) VALUES (NEW.flow_id, NEW.status, 1)
      ON CONFLICT (flow_id, status) DO UPDATE SET count = count + 1;
  END`,
  `CREATE TRIGGER jobs_counted_on_delete AFTER DELETE ON jobs BEGIN
    UPDATE job_counts SET count = count - 1 WHERE flow_id = OLD.flow_id AND status = OLD.status;
  END`,
  `CREATE TRIGGER jobs_counted_on_move AFTER UPDATE OF flow_id, status ON jobs
    WHEN OLD.flow_id IS NOT NEW.flow_id OR OLD.status IS NOT NEW.status BEGIN
    UPDATE job_counts SET count = count - 1 WHERE flow_id = OLD.flow_id AND status = OLD.status;
    INSERT INTO job_counts (flow_id, status, count) VALUES (NEW.flow_id, NEW.status, 1)
      ON CONFLICT (flow_id, status) DO UPDATE SET count = count + 1;
  END`,
  `CREATE TABLE job_events (
    job_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
  ) WITHOUT ROWID`,
  // Remembers where a log was cut, so a log truncated to nothing still reports its last seq.
  `CREATE TABLE job_event_truncations (
    job_id TEXT PRIMARY KEY,
    truncated_through INTEGER NOT NULL
  ) WITHOUT ROWID`,
  // A rowid table on purpose: rowid order is the order breakpoints were first saved (upserts keep the rowid).
  `CREATE TABLE breakpoints (
    job_id TEXT NOT NULL,
    breakpoint_id TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (job_id, breakpoint_id)
  )`,
  // Event logs move from a row per event to chunks of consecutive events (event-chunks.ts says why and how).
  // A rowid table: chunks are tens of KB, and SQLite advises against WITHOUT ROWID for rows over ~1/20 of a page.
  // Found by (job_id, last_seq): the chunk holding seq s is the first with last_seq >= s.
  `CREATE TABLE job_event_chunks (
    job_id TEXT NOT NULL,
    last_seq INTEGER NOT NULL,
    first_seq INTEGER NOT NULL,
    events TEXT NOT NULL
  )`,
  "CREATE UNIQUE INDEX job_event_chunks_by_seq ON job_event_chunks (job_id, last_seq)",
  // An old row becomes a chunk of one event.
  `INSERT INTO job_event_chunks (job_id, last_seq, first_seq, events)
    SELECT job_id, seq, seq,
      json_array(seq, json_array(type), json_array(0), json_array(timestamp, 1), json_array(json(data)))
    FROM job_events ORDER BY job_id, seq`,
  "DROP TABLE job_events",
];

/** Brings the database up to the newest schema, all pending statements in one transaction. */
export function migrate(db: SqliteDriver): void {
  db.tx(() => {
    db.run("CREATE TABLE IF NOT EXISTS _migrations (id INTEGER PRIMARY KEY)");
    const applied = db.all<{ count: number }>("SELECT COUNT(*) AS count FROM _migrations")[0]?.count ?? 0;
    if (applied > MIGRATIONS.length) {
      // Never downgrade: an older build cannot know what the newer migrations mean.
      throw new Error(
        `database schema has ${applied} migrations; this build knows only ${MIGRATIONS.length} ` +
          "(the file was written by a newer Routilux: run that version, or restore a backup made with this one)",
      );
    }
    for (let id = applied + 1; id <= MIGRATIONS.length; id++) {
      db.run(MIGRATIONS[id - 1]!);
      db.run("INSERT INTO _migrations (id) VALUES (?)", [id]);
    }
  });
}
