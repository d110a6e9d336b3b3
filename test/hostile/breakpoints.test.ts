import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Breakpoint } from "../../src/core/breakpoints.js";
import type { JobEvent, JobRecord } from "../../src/core/types.js";
import { MemoryStore } from "../../src/service/memory-store.js";
import { startServer, type TestServer } from "../support/server.js";
import { expectHealthy, guardPrototype } from "./support.js";

/**
 * Breakpoints a client may arm, what their conditions may cost the server, and the calls the Overseer UI makes on
 * jobs that are not paused (docs/debugging.md, docs/conditional-breakpoints.md).
 */

guardPrototype();

type ErrorBody = { error: { code: string; message: string; details: Record<string, unknown> } };
type BreakpointList = { breakpoints: Breakpoint[]; total: number };

/** A job that keeps running for many seconds, one item every 20 ms; cancelled by the test. */
const LONG = { data: "long", count: 1000, delay_ms: 20 };

/** `data` for the heaviest conditions: `str(data)` walks each object one step at a time. */
const objects = (n: number) => Array.from({ length: n }, (_, a) => ({ a }));

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

const slotBreakpoint = (condition: string) => ({
  type: "slot",
  routine_id: "transformer",
  slot_name: "input",
  condition,
});

describe("ROUTILUX_MAX_BREAKPOINTS_PER_JOB", () => {
  let api: TestServer;
  beforeAll(async () => {
    api = await startServer();
  });
  afterAll(() => api?.close());

  test("one breakpoint more than the limit (default 100) is 422 LIMIT_EXCEEDED", async () => {
    const { job_id } = await api.startJob("linear_flow", LONG);
    try {
      for (let i = 0; i < 100; i++) {
        const created = await api.request(
          "POST",
          `/api/jobs/${job_id}/breakpoints`,
          slotBreakpoint("index < 0"),
        );
        expect(created.status, created.text).toBe(201);
      }
      const refused = await api.request<ErrorBody>("POST", `/api/jobs/${job_id}/breakpoints`, {
        type: "routine",
        routine_id: "sink",
      });
      expect(refused.status, refused.text).toBe(422);
      expect(refused.body.error.code).toBe("LIMIT_EXCEEDED");
      expect(refused.body.error.message).toContain("ROUTILUX_MAX_BREAKPOINTS_PER_JOB");
      expect(refused.body.error.details).toMatchObject({ limit: 100, breakpoints: 101 });
      expect((await api.request<BreakpointList>("GET", `/api/jobs/${job_id}/breakpoints`)).body.total).toBe(
        100,
      );
    } finally {
      await api.request("POST", `/api/jobs/${job_id}/cancel`);
    }
    await expectHealthy(api);
  });

  test("breakpoints given at job start past the limit: 422 LIMIT_EXCEEDED, and nothing is created", async () => {
    const before = (await api.request<{ total: number }>("GET", "/api/jobs")).body.total;
    const refused = await api.request<ErrorBody>("POST", "/api/jobs", {
      flow_id: "linear_flow",
      entry_routine_id: "source",
      entry_params: { data: "x", count: 1 },
      breakpoints: Array.from({ length: 101 }, () => ({ type: "routine", routine_id: "sink" })),
    });
    expect(refused.status, refused.text).toBe(422);
    expect(refused.body.error.code).toBe("LIMIT_EXCEEDED");
    expect(refused.body.error.details).toMatchObject({ limit: 100, breakpoints: 101 });
    expect((await api.request<{ total: number }>("GET", "/api/jobs")).body.total).toBe(before);
    await expectHealthy(api);
  });
});

describe("condition step budget", () => {
  test("conditions at one safe point share the step budget; the one that runs it out is a breakpoint_error and is disabled", async () => {
    const api = await startServer({ ROUTILUX_MAX_CONDITION_STEPS: "2000" });
    try {
      // Each condition walks 400 objects (about 850 steps): two fit in 2000 steps, the third runs the budget out.
      const condition = "len(str(data)) < 0";
      const job = await api.startJob(
        "linear_flow",
        { data: objects(400), count: 3 },
        { breakpoints: [slotBreakpoint(condition), slotBreakpoint(condition), slotBreakpoint(condition)] },
      );
      await api.waitForStatus(job.job_id, "completed");
      const { body } = await api.request<BreakpointList>("GET", `/api/jobs/${job.job_id}/breakpoints`);
      expect(body.breakpoints.map((bp) => bp.enabled)).toEqual([true, true, false]);
      const events = await api.request<{ events: JobEvent[] }>("GET", `/api/jobs/${job.job_id}/events`);
      const errors = events.body.events.filter((e) => e.type === "breakpoint_error");
      expect(errors).toHaveLength(1);
      expect(errors[0]!.data).toMatchObject({ breakpoint_id: body.breakpoints[2]!.breakpoint_id });
      expect(String(errors[0]!.data.error)).toContain("ROUTILUX_MAX_CONDITION_STEPS");
      await expectHealthy(api);
    } finally {
      await api.close();
    }
  });

  test("with 100 heavy conditions on a running job, /api/health p99 stays within 100 ms", async () => {
    const api = await startServer();
    try {
      // The heaviest conditions the language allows: each walks 1000 objects (about 2100 steps), checked before each
      // of the 300 deliveries to `sink`, which follow one another without a pause. The routines themselves barely
      // touch the payload, so what the server spends is the conditions' cost.
      const flow = await api.request("POST", "/api/flows", {
        dsl: "flow_id: heavy_conditions\nroutines:\n  source: {class: DemoSource}\n  sink: {class: DemoSink}\nconnections:\n  - {from: source.output, to: sink.input}\n",
      });
      expect(flow.status, flow.text).toBe(201);
      const started = await api.request<JobRecord>("POST", "/api/jobs", {
        flow_id: "heavy_conditions",
        entry_routine_id: "source",
        entry_params: { data: objects(1000), count: 300 },
        breakpoints: Array.from({ length: 100 }, (_, i) => ({
          type: "slot",
          routine_id: "sink",
          slot_name: "input",
          condition: `len(str(data)) + ${i} < 0`,
        })),
      });
      expect(started.status, started.text).toBe(201);
      const job = started.body;
      // Polled while the job runs, up to 100 times. Each safe point disables the condition that runs the budget out,
      // so the heavy part is the job's first hundred or so deliveries: the polls must overlap it, hence at least 20.
      const latencies: number[] = [];
      for (let i = 0; i < 100; i++) {
        const started = performance.now();
        const health = await api.request("GET", "/api/health");
        latencies.push(performance.now() - started);
        expect(health.status).toBe(200);
        if (
          i % 10 === 9 &&
          (await api.request<JobRecord>("GET", `/api/jobs/${job.job_id}`)).body.status !== "running"
        )
          break;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await api.request("POST", `/api/jobs/${job.job_id}/cancel`);
      const figures = `${latencies.length} polls, p50 ${percentile(latencies, 50)} ms, max ${percentile(latencies, 100)} ms`;
      expect(latencies.length, figures).toBeGreaterThanOrEqual(20);
      expect(percentile(latencies, 99), figures).toBeLessThanOrEqual(100);
    } finally {
      await api.close();
    }
  }, 60_000);
});

describe("calls on a job that is not paused (the Overseer UI)", () => {
  let api: TestServer;
  beforeAll(async () => {
    api = await startServer({ ROUTILUX_EXPR_EVAL_ENABLED: "true" });
  });
  afterAll(() => api?.close());

  /** POST, list, toggle and delete on a finished job: 201 and stored, never a hit, and both calls work. */
  async function breakpointsOnFinished(server: TestServer, job_id: string): Promise<void> {
    const created = await server.request<Breakpoint>("POST", `/api/jobs/${job_id}/breakpoints`, {
      type: "routine",
      routine_id: "sink",
      condition: "index >= 0",
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ job_id, routine_id: "sink", enabled: true, hit_count: 0 });
    const path = `/api/jobs/${job_id}/breakpoints/${created.body.breakpoint_id}`;
    const listed = await server.request<BreakpointList>("GET", `/api/jobs/${job_id}/breakpoints`);
    expect(listed.body.breakpoints).toContainEqual(created.body);

    const toggled = await server.request<Breakpoint>("PUT", `${path}?enabled=false`);
    expect(toggled.status, toggled.text).toBe(200);
    expect(toggled.body).toMatchObject({ enabled: false, hit_count: 0 });
    expect((await server.request<Breakpoint>("PUT", path, { enabled: true })).body.enabled).toBe(true);

    expect((await server.request("DELETE", path)).status).toBe(204);
    const after = await server.request<BreakpointList>("GET", `/api/jobs/${job_id}/breakpoints`);
    expect(after.body.breakpoints.map((bp) => bp.breakpoint_id)).not.toContain(created.body.breakpoint_id);
    expect((await server.request<ErrorBody>("DELETE", path)).body.error.code).toBe("BREAKPOINT_NOT_FOUND");
    const bad = await server.request<ErrorBody>("POST", `/api/jobs/${job_id}/breakpoints`, {
      type: "routine",
      routine_id: "sink",
      condition: "index >=",
    });
    expect(bad.status).toBe(422);
  }

  test("POST /api/jobs/{job_id}/breakpoints on a finished job is 201: stored, listed, toggled, deleted, never hit", async () => {
    const { job_id } = await api.startJob("linear_flow", { data: "done", count: 2 });
    await api.waitForStatus(job_id, "completed");
    await breakpointsOnFinished(api, job_id);
  });

  test("the same on a finished job only the store knows (after a restart)", async () => {
    const store = new MemoryStore();
    const first = await startServer({}, { store });
    const { job_id } = await first.startJob("linear_flow", { data: "done", count: 2 });
    await first.waitForStatus(job_id, "completed");
    await first.close();
    const second = await startServer({}, { store });
    try {
      await breakpointsOnFinished(second, job_id);
      const created = await second.request<Breakpoint>("POST", `/api/jobs/${job_id}/breakpoints`, {
        type: "event",
        event_name: "output",
      });
      const third = await startServer({}, { store });
      try {
        const listed = await third.request<BreakpointList>("GET", `/api/jobs/${job_id}/breakpoints`);
        expect(listed.body.breakpoints).toContainEqual(created.body);
      } finally {
        await third.close();
      }
    } finally {
      await second.close();
    }
  });

  test("GET debug/variables on a job that is not paused is 200 {job_id, routine_id: null, variables: {}}", async () => {
    const running = await api.startJob("linear_flow", LONG);
    try {
      const reply = await api.request("GET", `/api/jobs/${running.job_id}/debug/variables`);
      expect(reply.status, reply.text).toBe(200);
      expect(reply.body).toEqual({ job_id: running.job_id, routine_id: null, variables: {} });
      const other = await api.request("GET", `/api/jobs/${running.job_id}/debug/variables?routine_id=sink`);
      expect(other.body).toEqual({ job_id: running.job_id, routine_id: null, variables: {} });
    } finally {
      await api.request("POST", `/api/jobs/${running.job_id}/cancel`);
    }
    const finished = await api.request("GET", `/api/jobs/${running.job_id}/debug/variables`);
    expect(finished.status).toBe(200);
    expect(finished.body).toEqual({ job_id: running.job_id, routine_id: null, variables: {} });
    expect((await api.request<ErrorBody>("GET", "/api/jobs/nope/debug/variables")).status).toBe(404);
  });

  test("writes on a job that is not paused stay 409", async () => {
    const running = await api.startJob("linear_flow", LONG);
    try {
      const id = running.job_id;
      const refusals = [
        await api.request("PUT", `/api/jobs/${id}/debug/variables/data`, { value: 1 }),
        await api.request("POST", `/api/jobs/${id}/debug/evaluate`, { expression: "1" }),
        await api.request("POST", `/api/jobs/${id}/debug/step-over`),
        await api.request("POST", `/api/jobs/${id}/debug/step-into`),
        await api.request("POST", `/api/jobs/${id}/debug/resume`),
      ];
      expect(refusals.map((r) => r.status)).toEqual([409, 409, 409, 409, 409]);
    } finally {
      await api.request("POST", `/api/jobs/${running.job_id}/cancel`);
    }
    await expectHealthy(api);
  });
});
