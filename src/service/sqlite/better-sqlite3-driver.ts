import { Worker } from "node:worker_threads";
import Database from "better-sqlite3";
import type { SqliteDriver, SqlValue } from "./driver.js";

/** How often the checkpoint thread looks for a pause in the writes. */
const CHECKPOINT_TICK_MS = 100;
/** The longest it lets writes go on without a checkpoint. */
const CHECKPOINT_MAX_BUSY_MS = 2_000;
/** SQLite's own default: what the writing connection falls back to when the checkpoint thread is gone. */
const DEFAULT_AUTOCHECKPOINT_PAGES = 1000;

/** Opens (creating if needed) a SQLite file for SqliteStore on Node. */
export function openBetterSqlite3(path: string): SqliteDriver {
  const db = new Database(path);
  // WAL lets readers run beside the one writer; NORMAL skips the fsync per commit that WAL makes unnecessary
  // for consistency (a power cut may lose the last commits, never corrupt the file).
  const inWal = db.pragma("journal_mode = WAL", { simple: true }) === "wal";
  db.pragma("synchronous = NORMAL");
  db.pragma("busy_timeout = 5000");
  const checkpointer = inWal ? startCheckpointer(db, path) : null;
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

/**
 * Moves WAL checkpoints off this thread and into the writer's pauses (see wal-checkpointer.mjs): this connection
 * stops checkpointing, counts its writes where the worker can see them, and the worker checkpoints. Should the
 * worker fail, this connection checkpoints again as SQLite does by default, so the WAL never grows without bound.
 */
function startCheckpointer(db: Database.Database, file: string): { wrote(): void; stop(): Promise<void> } {
  const writes = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(new URL("./wal-checkpointer.mjs", import.meta.url), {
    workerData: { file, writes, tickMs: CHECKPOINT_TICK_MS, maxBusyMs: CHECKPOINT_MAX_BUSY_MS },
  });
  // It must not keep the process alive: a WAL left behind is checkpointed by the next connection to open it.
  worker.unref();
  db.pragma("wal_autocheckpoint = 0");
  let stopped = false;
  const fallBack = () => {
    if (!stopped && db.open) db.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`);
  };
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  worker.on("error", fallBack);
  worker.on("exit", fallBack);
  return {
    wrote: () => {
      Atomics.add(writes, 0, 1);
    },
    stop: () => {
      stopped = true;
      // Whoever awaits the close must see it finish: now the worker keeps the process alive until it exits.
      worker.ref();
      worker.postMessage("close");
      return exited;
    },
  };
}
