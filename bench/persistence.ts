/**
 * What persisting a running job's events costs: one linear_flow job of 10 000 items (120 005 events) run through
 * `createServices` on MemoryStore and on SqliteStore (better-sqlite3, WAL, a file in the OS temp dir), timed until
 * `job.done` and until `services.jobs.flushed()`. The SQLite driver is synchronous, so every write is time the
 * engine's event loop does not run: the ratio of the two stores is what persistence costs the engine. WAL
 * checkpoints run on the driver's own thread, in the pauses between writes (better-sqlite3-driver.ts), so they are
 * not in the figure unless they slow the event loop down.
 *
 * Run alone: `npm run bench -- persistence`.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openSqliteStore } from "../src/entry/sqlite-file.js";
import { defaultRegistry } from "../src/routines/index.js";
import { MemoryStore } from "../src/service/memory-store.js";
import { createServices } from "../src/service/services.js";
import type { Store } from "../src/service/store.js";
import type { BenchRow } from "./report.js";

const ITEMS = 10_000;
const WARMUPS = 2;
const RUNS = 7;
const SETTLE_MS = 250;
/** Above the job's event count, so no truncation mixes into the figure. */
const MAX_EVENTS = 1_000_000;

const KINDS = ["memory", "sqlite"] as const;
type StoreKind = (typeof KINDS)[number];

interface RunTimes {
  events: number;
  /** Milliseconds from start to `job.done`. */
  done: number;
  /** Milliseconds from start until every event is in the store. */
  flushed: number;
  /** CPU milliseconds of the event loop's thread over the same span: what the engine could not use. */
  cpu: number;
}

/**
 * Runs each store in turn, `RUNS` times after warm-ups, and reports medians. Every SQLite run writes to the same
 * file, as a server does: WAL checkpoints (and their fsyncs) then land in the runs in proportion to the bytes
 * written, instead of never (a fresh file per run) or always.
 */
export async function benchPersistence(): Promise<BenchRow[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "routilux-bench-persistence-"));
  // better-sqlite3 on Node, bun:sqlite on Bun (`npx bun bench/group.ts persistence`).
  const open = async (kind: StoreKind, file: string): Promise<Store> =>
    kind === "memory" ? new MemoryStore() : openSqliteStore(file);
  const runs = new Map<StoreKind, RunTimes[]>(KINDS.map((kind) => [kind, []]));
  try {
    for (let i = 0; i < WARMUPS + RUNS; i++) {
      // Interleaved, so a burst of load from elsewhere hits every store alike.
      for (const kind of KINDS) {
        const times = await timeOneJob(await open(kind, path.join(dir, `${kind}.db`)));
        if (i >= WARMUPS) runs.get(kind)!.push(times);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const memory = medians(runs.get("memory")!);
  const sqlite = medians(runs.get("sqlite")!);
  const rate = (times: RunTimes) => Math.round(times.events / (times.flushed / 1000));
  const label = `linear_flow ${ITEMS.toLocaleString("en-US")} items (${memory.events.toLocaleString("en-US")} events)`;
  const detail = (times: RunTimes) =>
    `median of ${RUNS}: done ${ms(times.done)}, flushed ${ms(times.flushed)}, event-loop cpu ${ms(times.cpu)}`;
  return [
    {
      name: `memory: ${label}, start to flushed`,
      value: rate(memory),
      unit: "events/s",
      note: detail(memory),
    },
    {
      name: `sqlite: ${label}, start to flushed`,
      value: rate(sqlite),
      unit: "events/s",
      baseline: rate(memory),
      note: detail(sqlite),
    },
    {
      name: "sqlite / memory: wall time to flushed",
      value: round(sqlite.flushed / memory.flushed),
      unit: "x",
      note: "target ≤ 2",
    },
    {
      name: "sqlite / memory: event-loop cpu time to flushed",
      value: round(sqlite.cpu / memory.cpu),
      unit: "x",
      note: "target ≤ 2; steadier than wall time on a loaded machine",
    },
  ];
}

/**
 * One job on fresh services over `store`; closes the store, which waits for its background work (the SQLite
 * checkpoint thread) to end, so that no run pays for the one before. A server opens its store once: the pause
 * after opening keeps the start-up of that thread out of the figure too.
 */
async function timeOneJob(store: Store): Promise<RunTimes> {
  const services = await createServices({ store, registry: defaultRegistry(), maxEventsPerJob: MAX_EVENTS });
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  try {
    const cpuBefore = threadCpuMs();
    const started = performance.now();
    const record = await services.jobs.start({
      flow_id: "linear_flow",
      entry_routine_id: "source",
      entry_params: { data: "x", count: ITEMS },
    });
    const finished = await services.jobs.liveJob(record.job_id)!.done;
    const done = performance.now() - started;
    await services.jobs.flushed();
    const flushed = performance.now() - started;
    const cpuUsed = threadCpuMs() - cpuBefore;
    const { last_seq } = await store.readEvents(record.job_id, 0, 1);
    if (finished.status !== "completed") throw new Error(`bench job ended ${finished.status}`);
    return { events: last_seq, done, flushed, cpu: cpuUsed };
  } finally {
    await services.close();
  }
}

/**
 * CPU time of the calling thread, where Linux tells it (`/proc/thread-self/schedstat`, in nanoseconds: the ticks of
 * `/proc/thread-self/stat` are 10 ms, a fifth of the memory store's figure), else of the whole process. Unlike wall
 * time, it does not grow when other processes load the machine, and unlike process time it leaves out V8's helper
 * threads (GC, compiler) and the checkpoint thread, which do not hold up the event loop.
 */
function threadCpuMs(): number {
  try {
    const [onCpuNs] = fs.readFileSync("/proc/thread-self/schedstat", "utf8").split(" ");
    return Number(onCpuNs) / 1e6;
  } catch {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1000;
  }
}

function medians(runs: readonly RunTimes[]): RunTimes {
  const median = (pick: (times: RunTimes) => number) => {
    const sorted = runs.map(pick).sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)]!;
  };
  return {
    events: median((t) => t.events),
    done: median((t) => t.done),
    flushed: median((t) => t.flushed),
    cpu: median((t) => t.cpu),
  };
}

const round = (value: number): number => Math.round(value * 100) / 100;
const ms = (value: number): string => `${Math.round(value)} ms`;
