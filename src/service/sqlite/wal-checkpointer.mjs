// The WAL checkpointer of one SQLite file, run in a worker thread by checkpoint-thread.ts for the better-sqlite3
// driver (Node) and the bun:sqlite one (Bun). Plain JavaScript, not TypeScript: a worker's entry is loaded by the
// runtime itself, with no transpiler in between (under tsx, vitest and the built package alike).
//
// A checkpoint copies what commits appended to the WAL back into the database file and waits on the disk twice.
// On the writing thread that was two thirds of what persisting a running job's events cost, and even beside it,
// its disk waits hold up the writer's next appends. So it runs here, and when the writer pauses: `writes` counts
// the writer's transactions, and a checkpoint starts once it has not moved for one tick, or after MAX_BUSY_MS of
// writing without a pause, so that the WAL stays bounded under constant load. PASSIVE never waits for the writer
// or a reader; it copies what it can.
import { parentPort, workerData } from "node:worker_threads";

// The binding of the runtime the writer uses; both take these two statements through `exec`.
const Database = globalThis.Bun
  ? (await import("bun:sqlite")).Database
  : (await import("better-sqlite3")).default;

const { file, writes, tickMs, maxBusyMs } = workerData;
const db = new Database(file);
db.exec("PRAGMA busy_timeout = 5000");

let seen = 0;
let checkpointed = 0;
let busySince = null;

const checkpoint = (count) => {
  try {
    db.exec("PRAGMA wal_checkpoint(PASSIVE)");
    checkpointed = count;
  } catch {
    // A busy or locked database: the next tick tries again, since `checkpointed` did not move.
  }
};

const tick = () => {
  const count = Atomics.load(writes, 0);
  const now = Date.now();
  if (count !== seen) {
    seen = count;
    busySince ??= now;
    if (now - busySince >= maxBusyMs) {
      busySince = now;
      checkpoint(count);
    }
  } else if (count !== checkpointed) {
    busySince = null;
    checkpoint(count);
  }
};

const timer = setInterval(tick, tickMs);
parentPort.on("message", (message) => {
  if (message === "close") {
    clearInterval(timer);
    db.close();
    parentPort.close();
  }
});
