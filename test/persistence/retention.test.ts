import { afterEach, beforeEach, describe, expect, test } from "vitest";
import type { JobRecord } from "../../src/core/types.js";
import type { Services } from "../../src/service/services.js";
import type { SqliteDriver } from "../../src/service/sqlite/driver.js";
import type { SqliteStore } from "../../src/service/sqlite/sqlite-store.js";
import {
  DAY_MS,
  HOUR_MS,
  ManualClock,
  reopen,
  runJob,
  sqliteServices,
  startJob,
  tempDataDir,
  waitUntil,
} from "./support.js";

/**
 * `ROUTILUX_RETENTION_JOBS`, `ROUTILUX_RETENTION_DAYS` and `ROUTILUX_MAX_EVENTS_PER_JOB` on SQLite, through the
 * services the server wires (`createServices({ retention, maxEventsPerJob })` and `services.sweep()`).
 */

let data: ReturnType<typeof tempDataDir>;
let services: (Services & { driver: SqliteDriver }) | undefined;

beforeEach(() => {
  data = tempDataDir();
});

afterEach(async () => {
  await services?.close();
  services = undefined;
  data.remove();
});

const A_BREAKPOINT = { type: "routine" as const, routine_id: "sink", enabled: false };

/** A paused job first (the oldest of all), then finished jobs an hour apart: completed, failed, completed, … */
async function seedJobs(
  clock: ManualClock,
  finishedCount: number,
): Promise<{ paused: string; finished: JobRecord[] }> {
  const paused = await startJob(services!, "linear_flow", { data: "x" }, { pause_on_start: true });
  await waitUntil("the job to pause", () => services!.jobs.liveJob(paused.job_id)!.status === "paused");
  const finished: JobRecord[] = [];
  for (let i = 0; i < finishedCount; i++) {
    clock.advance(HOUR_MS);
    const flow = i % 2 === 0 ? "linear_flow" : "error_flow";
    const params = i % 2 === 0 ? { data: `job ${i}`, count: 2 } : { data: "fail" };
    finished.push(await runJob(services!, flow, params, { breakpoints: [A_BREAKPOINT] }));
  }
  await services!.jobs.flushed();
  return { paused: paused.job_id, finished };
}

/** What the file holds of a job, read through a connection of its own. */
async function stored(store: SqliteStore, job_id: string) {
  const log = await store.readEvents(job_id, 0, 10_000);
  return {
    record: await store.getJob(job_id),
    events: log.events.length,
    last_seq: log.last_seq,
    breakpoints: (await store.listBreakpoints(job_id)).length,
  };
}

describe("retention sweeps on SQLite", () => {
  test("RETENTION_JOBS keeps the newest finished jobs; older ones go with their events and breakpoints; unfinished stay", async () => {
    const clock = new ManualClock();
    services = await sqliteServices(data.file, { clock, retention: { jobs: 3 } });
    const { paused, finished } = await seedJobs(clock, 8);

    expect(await services.sweep()).toBe(5);

    const store = reopen(data.file);
    for (const [i, job] of finished.entries()) {
      const kept = i >= 5;
      const now = await stored(store, job.job_id);
      expect(now.record, `job ${i}`).toEqual(kept ? job : null);
      expect(now.events > 0, `job ${i} events`).toBe(kept);
      expect(now.breakpoints, `job ${i} breakpoints`).toBe(kept ? 1 : 0);
    }
    expect((await stored(store, paused)).record!.status).toBe("paused");
    const listed = await services.jobs.list({ order: "desc", limit: 100, offset: 0 });
    expect(listed.total).toBe(4);
    expect(await services.sweep()).toBe(0);
    await store.close();
  });

  test("RETENTION_DAYS removes finished jobs completed more than that many days ago; unfinished stay however old", async () => {
    const clock = new ManualClock();
    services = await sqliteServices(data.file, { clock, retention: { days: 2.5 } });
    const paused = await startJob(services, "linear_flow", { data: "x" }, { pause_on_start: true });
    await waitUntil("the job to pause", () => services!.jobs.liveJob(paused.job_id)!.status === "paused");
    const finished: JobRecord[] = [];
    for (let day = 0; day < 5; day++) {
      clock.advance(DAY_MS);
      finished.push(await runJob(services, "linear_flow", { data: `day ${day}`, count: 2 }));
    }
    await services.jobs.flushed();
    // Now is day 5 (counting the paused job's day as 0); finished on days 1, 2 are more than 2.5 days old.
    expect(await services.sweep()).toBe(2);

    const store = reopen(data.file);
    const left = (await store.listJobs({ order: "asc", limit: 100, offset: 0 })).jobs.map(
      (job) => job.job_id,
    );
    expect(left).toEqual([paused.job_id, ...finished.slice(2).map((job) => job.job_id)]);
    expect((await store.readEvents(finished[0]!.job_id, 0, 100)).last_seq).toBe(0);
    await store.close();
  });

  test("MAX_EVENTS_PER_JOB cuts a long job's stored log from the front: oldest_seq moves, last_seq stays", async () => {
    services = await sqliteServices(data.file, { maxEventsPerJob: 100 });
    // linear_flow logs 12 events per item: 50 items are 605 events.
    const done = await runJob(services, "linear_flow", { data: "x", count: 50 });
    await services.jobs.flushed();

    const store = reopen(data.file);
    const log = await store.readEvents(done.job_id, 0, 10_000);
    expect(log).toMatchObject({ last_seq: 605, oldest_seq: 506 });
    expect(log.events.map((event) => event.seq)).toEqual(Array.from({ length: 100 }, (_, i) => 506 + i));
    expect(log.events.at(-1)!.type).toBe("job_completed");
    // A reader asking from the start is given what is left, and oldest_seq tells it what it missed.
    expect((await store.readEvents(done.job_id, 10, 5)).events.map((event) => event.seq)).toEqual([
      506, 507, 508, 509, 510,
    ]);
    // The live log (what the API serves while the job is in memory) is capped the same way.
    const live = await services.jobs.events(done.job_id, 0, 10_000);
    expect({ oldest_seq: live.oldest_seq, last_seq: live.last_seq }).toEqual({
      oldest_seq: 506,
      last_seq: 605,
    });
    await store.close();
  });
});

describe("a large sweep does not block requests", () => {
  test("deleting 20 000 jobs runs in short transactions, with the event loop free between them", async () => {
    services = await sqliteServices(data.file, { retention: { jobs: 1 } });
    const store = services.store as SqliteStore;
    seedFinishedJobs(services.driver, store, 20_001);

    // Each transaction is timed; a 1 ms interval counts how often the event loop got to run meanwhile.
    const holds: number[] = [];
    const tx = services.driver.tx;
    services.driver.tx = <T>(fn: () => T): T => {
      const started = performance.now();
      try {
        return tx(fn);
      } finally {
        holds.push(performance.now() - started);
      }
    };
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 1);
    const swept = await services.sweep();
    clearInterval(ticker);
    services.driver.tx = tx;

    expect(swept).toBe(20_000);
    expect((await store.listJobs({ order: "desc", limit: 10, offset: 0 })).total).toBe(1);
    expect(holds.length).toBeGreaterThanOrEqual(100);
    // One transaction for all of them held the loop for ~1.5 s (measured); a batch takes a few ms, generously bounded
    // here because CI machines are shared.
    expect(Math.max(...holds)).toBeLessThan(250);
    expect(ticks).toBeGreaterThanOrEqual(20);
  }, 60_000);
});

/** Finished jobs with a 20-event log each, written in one transaction (the SQL runs before each call's first await). */
function seedFinishedJobs(driver: SqliteDriver, store: SqliteStore, count: number): void {
  const t0 = Date.parse("2026-01-01T00:00:00.000Z");
  const iso = (ms: number) => new Date(ms).toISOString();
  driver.tx(() => {
    for (let i = 0; i < count; i++) {
      const job_id = `seeded_${String(i).padStart(6, "0")}`;
      const at = t0 + i * 1000;
      void store.saveJob({
        job_id,
        flow_id: "linear_flow",
        status: "completed",
        created_at: iso(at),
        started_at: iso(at),
        completed_at: iso(at + 500),
        error: null,
      });
      void store.appendEvents(
        job_id,
        Array.from({ length: 20 }, (_, k) => ({
          seq: k + 1,
          job_id,
          type: "log" as const,
          timestamp: iso(at),
          data: { message: "seeded", k },
        })),
      );
    }
  });
}
