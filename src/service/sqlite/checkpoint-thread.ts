import { Worker } from "node:worker_threads";
import type { SqliteDriver } from "./driver.js";

/** How often the checkpoint thread looks for a pause in the writes. */
const CHECKPOINT_TICK_MS = 100;
/** The longest it lets writes go on without a checkpoint. */
const CHECKPOINT_MAX_BUSY_MS = 2_000;
/** SQLite's own default: what the writing connection falls back to when the checkpoint thread is gone. */
const DEFAULT_AUTOCHECKPOINT_PAGES = 1000;

/** The writing connection, as the checkpoint thread's owner needs it. */
export interface WritingConnection {
  /** Sets `PRAGMA wal_autocheckpoint`: 0 while the thread checkpoints, SQLite's default should it fail. */
  setAutocheckpoint(pages: number): void;
  isOpen(): boolean;
}

/**
 * `driver`, a connection to `file` in WAL mode, with its checkpoints moved off the writing thread and into the
 * writer's pauses (see wal-checkpointer.mjs, which runs on Node with better-sqlite3 and on Bun with bun:sqlite): the
 * connection stops checkpointing, counts its writes where the worker can see them, and the worker checkpoints.
 * Should the worker fail, the connection checkpoints again as SQLite does by default, so the WAL never grows
 * without bound.
 */
export function withCheckpointThread(
  file: string,
  driver: SqliteDriver,
  connection: WritingConnection,
): SqliteDriver {
  const thread = startCheckpointThread(file, connection);
  return {
    all: driver.all,
    run: (sql, params) => {
      const result = driver.run(sql, params);
      thread.wrote();
      return result;
    },
    tx: (fn) => {
      const result = driver.tx(fn);
      thread.wrote();
      return result;
    },
    close: async () => {
      // This connection first, while the worker's is still open: the last connection to close checkpoints the
      // whole WAL, and that should be the worker's, on its thread.
      await driver.close();
      await thread.stop();
    },
  };
}

function startCheckpointThread(file: string, connection: WritingConnection) {
  const writes = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(new URL("./wal-checkpointer.mjs", import.meta.url), {
    workerData: { file, writes, tickMs: CHECKPOINT_TICK_MS, maxBusyMs: CHECKPOINT_MAX_BUSY_MS },
  });
  // It must not keep the process alive: a WAL left behind is checkpointed by the next connection to open it.
  worker.unref();
  connection.setAutocheckpoint(0);
  let stopped = false;
  const fallBack = () => {
    if (!stopped && connection.isOpen()) connection.setAutocheckpoint(DEFAULT_AUTOCHECKPOINT_PAGES);
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
