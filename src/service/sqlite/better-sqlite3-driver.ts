import Database from "better-sqlite3";
import { startCheckpointThread } from "./checkpoint-thread.js";
import type { SqliteDriver, SqlValue } from "./driver.js";

/** Opens (creating if needed) a SQLite file for SqliteStore on Node. */
export function openBetterSqlite3(path: string): SqliteDriver {
  const db = new Database(path);
  // WAL lets readers run beside the one writer; NORMAL skips the fsync per commit that WAL makes unnecessary
  // for consistency (a power cut may lose the last commits, never corrupt the file).
  const inWal = db.pragma("journal_mode = WAL", { simple: true }) === "wal";
  db.pragma("synchronous = NORMAL");
  db.pragma("busy_timeout = 5000");
  const checkpointer = inWal
    ? startCheckpointThread(path, {
        setAutocheckpoint: (pages) => db.pragma(`wal_autocheckpoint = ${pages}`),
        isOpen: () => db.open,
      })
    : null;
  const wrote = checkpointer?.wrote ?? (() => {});

  // Preparing costs more than running most of our statements; the store issues a few dozen distinct texts.
  const statements = new Map<string, Database.Statement<SqlValue[]>>();
  const prepared = (sql: string) => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare<SqlValue[]>(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  // One transaction wrapper, built once; it nests as savepoints when a transaction is already open.
  const inTransaction = db.transaction((fn: () => unknown) => fn());

  return {
    all: <Row>(sql: string, params: readonly SqlValue[] = []) => prepared(sql).all(...params) as Row[],
    run: (sql, params = []) => {
      const { changes } = prepared(sql).run(...params);
      wrote();
      return { changes };
    },
    tx: <T>(fn: () => T) => {
      const result = inTransaction(fn) as T;
      wrote();
      return result;
    },
    close: async () => {
      statements.clear();
      // This connection first, while the worker's is still open: the last connection to close checkpoints the
      // whole WAL, and that should be the worker's, on its thread.
      db.close();
      await checkpointer?.stop();
    },
  };
}
