import Database from "better-sqlite3";
import { withCheckpointThread } from "./checkpoint-thread.js";
import type { SqliteDriver, SqlValue } from "./driver.js";

/** Opens (creating if needed) a SQLite file for SqliteStore on Node. */
export function openBetterSqlite3(path: string): SqliteDriver {
  const db = new Database(path);
  // WAL lets readers run beside the one writer; NORMAL skips the fsync per commit that WAL makes unnecessary
  // for consistency (a power cut may lose the last commits, never corrupt the file).
  const inWal = db.pragma("journal_mode = WAL", { simple: true }) === "wal";
  db.pragma("synchronous = NORMAL");
  db.pragma("busy_timeout = 5000");

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

  const driver: SqliteDriver = {
    all: <Row>(sql: string, params: readonly SqlValue[] = []) => prepared(sql).all(...params) as Row[],
    run: (sql, params = []) => ({ changes: prepared(sql).run(...params).changes }),
    tx: <T>(fn: () => T) => inTransaction(fn) as T,
    close: () => {
      statements.clear();
      db.close();
    },
  };
  if (!inWal) return driver;
  return withCheckpointThread(path, driver, {
    setAutocheckpoint: (pages) => db.pragma(`wal_autocheckpoint = ${pages}`),
    isOpen: () => db.open,
  });
}
