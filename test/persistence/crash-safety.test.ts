import { afterEach, beforeEach, describe, expect, test } from "vitest";
import type { JobEvent } from "../../src/core/types.js";
import { demoFlows } from "../../src/routines/demo-flows.js";
import { defaultRegistry } from "../../src/routines/index.js";
import { LocalJobService } from "../../src/service/local-job-service.js";
import { INTERRUPTED_ERROR } from "../../src/service/recovery.js";
import type { Services } from "../../src/service/services.js";
import { openBetterSqlite3 } from "../../src/service/sqlite/better-sqlite3-driver.js";
import { SqliteStore } from "../../src/service/sqlite/sqlite-store.js";
import { StoredFlowService } from "../../src/service/stored-flow-service.js";
import { nextTurn, reopen, runJob, sqliteServices, startJob, tempDataDir, waitUntil } from "./support.js";

/**
 * What a crash can cost. "Crash" here: the services that ran the jobs are never closed, and a second connection
 * to the same file — what a restarted process opens — looks at what reached it.
 */

let data: ReturnType<typeof tempDataDir>;
const cleanups: (() => Promise<void> | void)[] = [];

beforeEach(() => {
  data = tempDataDir();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  data.remove();
});

async function services(options: Parameters<typeof sqliteServices>[1] = {}): Promise<Services> {
  const opened = await sqliteServices(data.file, options);
  cleanups.push(() => opened.close());
  return opened;
}

function secondConnection(): SqliteStore {
  const store = reopen(data.file);
  cleanups.push(() => store.close());
  return store;
}

describe("a finished job is never lost", () => {
  test("once job.done resolves and the writes are flushed, another connection sees the final record and the whole log", async () => {
    const first = await services();
    const done = await runJob(first, "linear_flow", { data: "x", count: 200 });
    await first.jobs.flushed();

    const { events: live } = await first.jobs.events(done.job_id, 0, 100_000);
    const store = secondConnection();
    expect(await store.getJob(done.job_id)).toEqual(done);
    expect(await store.readEvents(done.job_id, 0, 100_000)).toEqual({
      events: live,
      last_seq: live.length,
      oldest_seq: 1,
    });
    expect(live.at(-1)!.type).toBe("job_completed");
  });

  test("a finished job leaves memory only after its record and log are written", async () => {
    // Keeping no finished job in memory makes the hand-over to the store immediate, so any gap would show.
    const store = new SqliteStore(openBetterSqlite3(data.file));
    cleanups.push(() => store.close());
    const registry = defaultRegistry();
    const flows = new StoredFlowService({ store, registry });
    await flows.registerDefaults(demoFlows(new Date().toISOString()));
    const jobs = new LocalJobService({ store, flows, registry, keepFinished: 0 });
    const logged: JobEvent[] = [];
    jobs.subscribe((event) => logged.push(event));

    const { job_id } = await jobs.start({
      flow_id: "error_flow",
      entry_routine_id: "source",
      entry_params: { data: "fail" },
    });
    const done = await jobs.liveJob(job_id)!.done;
    await waitUntil("the finished job to leave memory", () => jobs.liveJob(job_id) === undefined);

    const other = secondConnection();
    expect(done.status).toBe("failed");
    expect(await other.getJob(job_id)).toEqual(done);
    expect((await other.readEvents(job_id, 0, 10_000)).events).toEqual(logged);
    // The service now answers from the store, with the same log.
    expect((await jobs.events(job_id, 0, 10_000)).events).toEqual(logged);
  });
});

describe("a running job loses at most its last batch", () => {
  test("events logged in one turn of the event loop are in the file by the next", async () => {
    const first = await services();
    const { job_id } = await startJob(first, "linear_flow", { data: "x", count: 40, delay_ms: 10 });
    const store = secondConnection();
    const seen: number[] = [];
    while (first.jobs.liveJob(job_id)!.status === "running") {
      await waitUntil(
        "the job to log more",
        () => first.jobs.liveJob(job_id)!.log.lastSeq > (seen.at(-1) ?? 0),
      );
      const { events: live, last_seq } = await first.jobs.events(job_id, 0, 10_000);
      await nextTurn();
      const stored = await store.readEvents(job_id, 0, 10_000);
      expect(stored.last_seq).toBeGreaterThanOrEqual(last_seq);
      expect(stored.events.slice(0, live.length)).toEqual(live);
      seen.push(last_seq);
    }
    expect(seen.length).toBeGreaterThan(5);
    // While it ran, the file said "running": that is what lets the next start find it.
    await first.jobs.flushed();
    expect((await store.getJob(job_id))!.status).toBe("completed");
  });

  test("a job recorded running or paused becomes failed at the next start, its log ending in job_failed", async () => {
    // The first process: never closed, its jobs are still "in flight" when the second one starts.
    const first = await services({ onError: () => {} });
    const running = await startJob(first, "linear_flow", { data: "x", count: 2, delay_ms: 60_000 });
    const paused = await startJob(first, "linear_flow", { data: "x", count: 2 }, { pause_on_start: true });
    await waitUntil(
      "one job to wait between items and the other to pause",
      () =>
        first.jobs.liveJob(paused.job_id)!.status === "paused" &&
        first.jobs
          .liveJob(running.job_id)!
          .log.all()
          .some((event) => event.type === "event_emitted"),
    );
    await first.jobs.flushed();
    const before = secondConnection();
    const lastSeqs = new Map<string, number>();
    for (const { job_id } of [running, paused]) {
      lastSeqs.set(job_id, (await before.readEvents(job_id, 0, 1)).last_seq);
    }
    expect((await before.getJob(running.job_id))!.status).toBe("running");
    expect((await before.getJob(paused.job_id))!.status).toBe("paused");

    const restarted = await services();
    expect(restarted.interrupted).toBe(2);
    for (const { job_id } of [running, paused]) {
      const record = await restarted.jobs.get(job_id);
      expect(record).toMatchObject({ status: "failed", error: INTERRUPTED_ERROR });
      expect(record.completed_at).not.toBeNull();
      const log = await restarted.jobs.events(job_id, 0, 10_000);
      expect(log.last_seq).toBe(lastSeqs.get(job_id)! + 1);
      expect(log.events.map((event) => event.seq)).toEqual(
        Array.from({ length: log.last_seq }, (_, i) => i + 1),
      );
      expect(log.events.at(-1)).toMatchObject({ type: "job_failed", data: { error: INTERRUPTED_ERROR } });
    }
    // Stop the first process's jobs; their writes now collide with the restart's job_failed (hence onError).
    first.jobs.cancel(running.job_id);
    first.jobs.cancel(paused.job_id);
  });
});
