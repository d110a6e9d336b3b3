import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { JOB_STATUSES, type JobEvent, type JobRecord } from "../src/core/types.js";
import { MemoryStore } from "../src/service/memory-store.js";
import { openBetterSqlite3 } from "../src/service/sqlite/better-sqlite3-driver.js";
import { SqliteStore } from "../src/service/sqlite/sqlite-store.js";
import type { JobQuery, Store } from "../src/service/store.js";
import { type BenchRow, percentile } from "./report.js";

const JOB_COUNT = 100_000;
const DEEP = 50_000;
const PAGE = 100;
const RUNS = 300;
// The naive list sorts up to 100 000 records per call; a few runs give a fair p50 without a minute of waiting.
const NAIVE_RUNS = 15;
const EVENT_BATCH = 256;
const EVENT_BATCHES = 400;

/** Job list latency and event append throughput of MemoryStore and SqliteStore at 100 000 jobs. */
export async function benchStore(): Promise<BenchRow[]> {
  const jobs = benchJobs(JOB_COUNT);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "routilux-bench-store-"));
  const driver = openBetterSqlite3(path.join(dir, "bench.db"));
  const memory = new MemoryStore();
  const sqlite = new SqliteStore(driver);
  const stores = [
    ["memory", memory],
    ["sqlite", sqlite],
  ] as const;
  try {
    for (const job of jobs) await memory.saveJob(job);
    // One transaction for the whole seed: this bench measures reads, not 100 000 commits. The store's methods do
    // their SQL before their first await, so the writes all land inside it.
    driver.tx(() => {
      for (const job of jobs) void sqlite.saveJob(job);
    });

    const cursorAtDeep = (await memory.listJobs({ order: "desc", limit: 1, offset: DEEP - 1 })).next_cursor!;
    const shapes: { name: string; query: JobQuery }[] = [
      {
        name: `status=failed first page of ${PAGE}`,
        query: { order: "desc", status: "failed", limit: PAGE, offset: 0 },
      },
      { name: `offset ${DEEP} page of ${PAGE}`, query: { order: "desc", limit: PAGE, offset: DEEP } },
      {
        name: `cursor at ${DEEP} page of ${PAGE}`,
        query: { order: "desc", limit: PAGE, offset: 0, cursor: cursorAtDeep },
      },
    ];

    const results: BenchRow[] = [];
    for (const shape of shapes) {
      const measured = new Map<string, number[]>();
      for (const [storeName, store] of stores)
        measured.set(storeName, await sample(RUNS, () => store.listJobs(shape.query)));
      // After the stores, so the garbage of the naive sorts is not collected during their runs.
      const naive = await sample(NAIVE_RUNS, () => naiveList(jobs, shape.query, DEEP));
      for (const [storeName, times] of measured) {
        for (const p of [50, 99] as const) {
          const value = percentile(times, p);
          const baseline = percentile(naive, p);
          results.push({
            name: `${storeName} listJobs ${shape.name} p${p}`,
            value: round(value),
            unit: "ms",
            baseline: round(baseline),
            note: `${Math.round(baseline / value)}x faster than filtering, sorting and slicing an array of all jobs`,
          });
        }
      }
    }

    const eventRates = new Map<string, number>();
    for (const [storeName, store] of stores) eventRates.set(storeName, await appendRate(store));
    const memoryRate = eventRates.get("memory")!;
    for (const [storeName, rate] of eventRates) {
      results.push({
        name: `${storeName} appendEvents in batches of ${EVENT_BATCH}`,
        value: Math.round(rate),
        unit: "events/s",
        ...(storeName === "memory"
          ? {}
          : { baseline: Math.round(memoryRate), note: "baseline: MemoryStore" }),
      });
    }
    results.push({
      name: "sqlite saveJob, one commit each",
      value: Math.round(await saveRate(sqlite)),
      unit: "jobs/s",
    });
    return results;
  } finally {
    for (const [, store] of stores) await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Mixed statuses over 3 flows, three jobs per millisecond so ties are common. */
function benchJobs(count: number): JobRecord[] {
  const t0 = Date.parse("2026-01-01T00:00:00.000Z");
  return Array.from({ length: count }, (_, i) => ({
    job_id: `job_${i.toString(36).padStart(6, "0")}`,
    flow_id: `flow_${i % 3}`,
    status: JOB_STATUSES[(i * 7919) % JOB_STATUSES.length]!,
    created_at: new Date(t0 + Math.floor(i / 3)).toISOString(),
    started_at: null,
    completed_at: null,
    error: null,
  }));
}

/** What a store without indexes does: filter everything, sort, slice. A cursor query slices at `deep` likewise. */
function naiveList(all: readonly JobRecord[], query: JobQuery, deep: number): JobRecord[] {
  const matches = all.filter((job) => query.status === undefined || job.status === query.status);
  matches.sort((a, b) =>
    a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : a.job_id < b.job_id ? 1 : -1,
  );
  const start = query.cursor === undefined ? query.offset : deep;
  return matches.slice(start, start + query.limit);
}

async function appendRate(store: Store): Promise<number> {
  const batch = (jobId: string, first: number): JobEvent[] =>
    Array.from({ length: EVENT_BATCH }, (_, i) => ({
      seq: first + i,
      job_id: jobId,
      type: "routine_completed",
      timestamp: "2026-01-01T00:00:00.000Z",
      data: { routine_id: "transformer", duration: 0.0012, result: { index: i, text: "hello" } },
    }));
  const batches = Array.from({ length: EVENT_BATCHES }, (_, i) =>
    batch(`events_${i % 8}`, 1 + Math.floor(i / 8) * EVENT_BATCH),
  );
  const started = performance.now();
  for (const [i, events] of batches.entries()) await store.appendEvents(`events_${i % 8}`, events);
  return (EVENT_BATCH * EVENT_BATCHES) / ((performance.now() - started) / 1000);
}

async function saveRate(store: Store): Promise<number> {
  const extra = benchJobs(2_000).map((job) => ({ ...job, job_id: `extra_${job.job_id}` }));
  const started = performance.now();
  for (const job of extra) await store.saveJob(job);
  return extra.length / ((performance.now() - started) / 1000);
}

async function sample(runs: number, run: () => unknown): Promise<number[]> {
  for (let i = 0; i < 5; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b);
}

const round = (ms: number): number => Math.round(ms * 1000) / 1000;
