import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { JobRecord, JobStatus } from "../../src/core/types.js";
import { startServer, type TestServer } from "../support/server.js";
import { expectHealthy, guardPrototype } from "./support.js";

/**
 * Memory is bounded per job and in all: with the defaults a job that would hold gigabytes fails within seconds
 * naming the limit, while the server stays small and answering; a long job's log is truncated, never the job.
 */

guardPrototype();

const MiB = 1024 ** 2;
const FINISHED: JobStatus[] = ["completed", "failed", "cancelled"];

type RoutineStates = Record<string, { execution_count: number; status: string }>;

describe("with the defaults", () => {
  let api: TestServer;
  beforeAll(async () => {
    api = await startServer();
  });
  afterAll(() => api?.close());

  test("a 1 MB × 10 000 linear_flow job fails naming its limit; health, a bystander and rss stay fine", async () => {
    let maxRss = process.memoryUsage().rss;
    let slowestHealthMs = 0;
    const job = await api.startJob("linear_flow", { data: "x".repeat(1_000_000), count: 10_000 });
    const bystander = await api.startJob("linear_flow", { data: "hello", count: 50 });
    const deadline = Date.now() + 20_000;
    let record: JobRecord | undefined;
    while (Date.now() < deadline) {
      const started = performance.now();
      const health = await api.request("GET", "/api/health");
      slowestHealthMs = Math.max(slowestHealthMs, performance.now() - started);
      expect(health.status).toBe(200);
      maxRss = Math.max(maxRss, process.memoryUsage().rss);
      record = (await api.request<JobRecord>("GET", `/api/jobs/${job.job_id}`)).body;
      if (record.status !== "running") break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(record?.status).toBe("failed");
    expect(record?.error).toMatch(/ROUTILUX_MAX_[A-Z_]+/);
    expect(slowestHealthMs).toBeLessThan(1000);
    expect((await api.waitForStatus(bystander.job_id, FINISHED)).status).toBe("completed");
    maxRss = Math.max(maxRss, process.memoryUsage().rss);
    expect(maxRss).toBeLessThan(1024 * MiB);
    await expectHealthy(api);
  }, 30_000);

  test("a 10 000 × 8 KB linear_flow job completes with its log truncated and its counts right", async () => {
    const job = await api.startJob("linear_flow", { data: "y".repeat(8 * 1024), count: 10_000 });
    const record = await api.waitForStatus(job.job_id, FINISHED, 60_000);
    expect(record, record.error ?? "").toMatchObject({ status: "completed", error: null });
    const page = await api.request<{ oldest_seq: number; last_seq: number }>(
      "GET",
      `/api/jobs/${job.job_id}/events?since=0&limit=1`,
    );
    expect(page.body.oldest_seq).toBeGreaterThan(1);
    const state = await api.request<{ routine_states: RoutineStates }>(
      "GET",
      `/api/jobs/${job.job_id}/state`,
    );
    const counts = Object.fromEntries(
      Object.entries(state.body.routine_states).map(([id, s]) => [id, s.execution_count]),
    );
    expect(counts).toEqual({ source: 1, validator: 10_000, transformer: 10_000, sink: 10_000 });
    const metrics = await api.request<{ total_events: number; total_slot_calls: number }>(
      "GET",
      `/api/jobs/${job.job_id}/metrics`,
    );
    expect(metrics.body.total_events).toBe(page.body.last_seq);
    expect(metrics.body.total_slot_calls).toBe(30_001);
  }, 90_000);
});

describe("each limit, set small", () => {
  let api: TestServer;
  beforeAll(async () => {
    api = await startServer({
      ROUTILUX_MAX_EVENT_BYTES: "10000",
      ROUTILUX_MAX_PENDING_DELIVERIES: "500",
      ROUTILUX_MAX_JOB_BYTES: "200000",
    });
  });
  afterAll(() => api?.close());

  const failedWith = async (job: JobRecord) => {
    const record = await api.waitForStatus(job.job_id, FINISHED);
    expect(record.status).toBe("failed");
    return record.error ?? "";
  };

  test("an emit over ROUTILUX_MAX_EVENT_BYTES throws inside the handler, naming the limit", async () => {
    const error = await failedWith(await api.startJob("linear_flow", { data: "z".repeat(20_000), count: 1 }));
    expect(error).toContain("ROUTILUX_MAX_EVENT_BYTES");
    expect(error).toMatch(/^Routine 'source' failed/);
  });

  test("past ROUTILUX_MAX_PENDING_DELIVERIES the job fails naming the limit", async () => {
    const error = await failedWith(await api.startJob("linear_flow", { data: "a", count: 1000 }));
    expect(error).toBe("job exceeded ROUTILUX_MAX_PENDING_DELIVERIES (500 deliveries)");
  });

  test("past ROUTILUX_MAX_JOB_BYTES the job fails and says so", async () => {
    const error = await failedWith(await api.startJob("linear_flow", { data: "b".repeat(5000), count: 100 }));
    expect(error).toBe("job exceeded ROUTILUX_MAX_JOB_BYTES (200000 bytes)");
  });
});

describe("ROUTILUX_MAX_TOTAL_BYTES, set small", () => {
  let api: TestServer;
  beforeAll(async () => {
    api = await startServer({ ROUTILUX_MAX_TOTAL_BYTES: "1000000" });
  });
  afterAll(() => api?.close());

  const failedWith = async (job: JobRecord) => {
    const record = await api.waitForStatus(job.job_id, FINISHED);
    expect(record.status).toBe("failed");
    return record.error ?? "";
  };

  test("past ROUTILUX_MAX_TOTAL_BYTES the job that grows fails, a bystander does not, and starts get 429", async () => {
    // The bystander holds 600 kB, paused before its first routine; then it alone is over no limit.
    const holder = await api.startJob(
      "linear_flow",
      { data: "h".repeat(600_000), count: 1 },
      { pause_on_start: true },
    );
    await api.waitForStatus(holder.job_id, "paused");
    const grower = await api.startJob("linear_flow", { data: "g".repeat(4000), count: 150 });
    expect(await failedWith(grower)).toBe(
      "job exceeded ROUTILUX_MAX_TOTAL_BYTES (1000000 bytes, all jobs together)",
    );
    expect((await api.request<JobRecord>("GET", `/api/jobs/${holder.job_id}`)).body.status).toBe("paused");

    // Over the limit by the holder's data alone: refused, nothing created.
    const second = await api.startJob(
      "linear_flow",
      { data: "i".repeat(500_000), count: 1 },
      { pause_on_start: true },
    );
    const before = (await api.request<{ total: number }>("GET", "/api/jobs?limit=1")).body.total;
    const refused = await api.request<{ error: { code: string; details: Record<string, unknown> } }>(
      "POST",
      "/api/jobs",
      { flow_id: "linear_flow", entry_routine_id: "source", entry_params: { data: "j", count: 1 } },
    );
    expect(refused.status, refused.text).toBe(429);
    expect(refused.body.error.code).toBe("RATE_LIMITED");
    expect(refused.body.error.details).toMatchObject({
      limit: 1_000_000,
      limit_name: "ROUTILUX_MAX_TOTAL_BYTES",
    });
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await api.request<{ total: number }>("GET", "/api/jobs?limit=1")).body.total).toBe(before);

    // Memory back under the limit: starts are accepted again.
    await api.request("POST", `/api/jobs/${second.job_id}/cancel`);
    await api.request("POST", `/api/jobs/${holder.job_id}/cancel`);
    const again = await api.startJob("linear_flow", { data: "k", count: 1 });
    expect((await api.waitForStatus(again.job_id, FINISHED)).status).toBe("completed");
    await expectHealthy(api);
  });
});
