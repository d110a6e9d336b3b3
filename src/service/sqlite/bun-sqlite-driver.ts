import { Database } from "bun:sqlite";
import { startCheckpointThread } from "./checkpoint-thread.js";
import type { SqliteDriver, SqlValue } from "./driver.js";

/** Opens (creating if needed) a SQLite file for SqliteStore on Bun. Same pragmas as the better-sqlite3 driver. */
export function openBunSqlite(path: string): SqliteDriver {
  const db = new Database(path, { create: true });
  const { journal_mode } = db.query("PRAGMA journal_mode = WAL").get() as { journal_mode: string };
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA busy_timeout = 5000");
  let open = true;
  const checkpointer =
    journal_mode === "wal"
      ? startCheckpointThread(path, {
          setAutocheckpoint: (pages) => db.exec(`PRAGMA wal_autocheckpoint = ${pages}`),
          isOpen: () => open,
        })
      : null;
  const wrote = checkpointer?.wrote ?? (() => {});
  // db.query caches the prepared statement per SQL text, which is what the better-sqlite3 driver does by hand.
  const inTransaction = db.transaction((fn: () => unknown) => fn());

  return {
    all: <Row>(sql: string, params: readonly SqlValue[] = []) => db.query(sql).all(...params) as Row[],
    run: (sql, params = []) => {
      const { changes } = db.query(sql).run(...params);
      wrote();
      return { changes };
    },
    tx: <T>(fn: () => T) => {
      const result = inTransaction(fn) as T;
      wrote();
      return result;
    },
    close: async () => {
      // This connection first, while the worker's is still open: the last connection to close checkpoints the
      // whole WAL, and that should be the worker's, on its thread.
      open = false;
      db.close();
      await checkpointer?.stop();
    },
  };
}
