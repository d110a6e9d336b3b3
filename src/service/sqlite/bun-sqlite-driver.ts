import { Database } from "bun:sqlite";
import { withCheckpointThread } from "./checkpoint-thread.js";
import type { SqliteDriver, SqlValue } from "./driver.js";

/** Opens (creating if needed) a SQLite file for SqliteStore on Bun. Same pragmas as the better-sqlite3 driver. */
export function openBunSqlite(path: string): SqliteDriver {
  const db = new Database(path, { create: true });
  const { journal_mode } = db.query("PRAGMA journal_mode = WAL").get() as { journal_mode: string };
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA busy_timeout = 5000");
  // db.query caches the prepared statement per SQL text, which is what the better-sqlite3 driver does by hand.
  const inTransaction = db.transaction((fn: () => unknown) => fn());
  let open = true;

  const driver: SqliteDriver = {
    all: <Row>(sql: string, params: readonly SqlValue[] = []) => db.query(sql).all(...params) as Row[],
    run: (sql, params = []) => ({ changes: db.query(sql).run(...params).changes }),
    tx: <T>(fn: () => T) => inTransaction(fn) as T,
    close: () => {
      open = false;
      db.close();
    },
  };
  if (journal_mode !== "wal") return driver;
  return withCheckpointThread(path, driver, {
    setAutocheckpoint: (pages) => db.exec(`PRAGMA wal_autocheckpoint = ${pages}`),
    isOpen: () => open,
  });
}
