import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import type { JobRecord } from "../../src/core/types.js";
import { startServer, type TestServer } from "../support/server.js";
import { expectHealthy, guardPrototype } from "./support.js";

/** Numbers a client sends that ask for time: job timeouts and the waits of routines (docs/api.md, docs/routines.md). */

guardPrototype();

type ErrorBody = { error: { code: string; message: string; details: Record<string, unknown> } };
type FieldErrors = { error: { code: string; details: { errors: { path: string; message: string }[] } } };

let api: TestServer;
const warnings: Error[] = [];
const onWarning = (warning: Error) => warnings.push(warning);

beforeAll(async () => {
  api = await startServer();
});
afterAll(() => api?.close());
beforeEach(() => {
  warnings.length = 0;
  process.on("warning", onWarning);
});
afterEach(() => {
  process.off("warning", onWarning);
});

const jobCount = async () => (await api.request<{ total: number }>("GET", "/api/jobs")).body.total;

const startLinear = (entry_params: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  api.request<JobRecord & ErrorBody & FieldErrors>("POST", "/api/jobs", {
    flow_id: "linear_flow",
    entry_routine_id: "source",
    entry_params,
    ...extra,
  });

/** Lets queued timers and warnings surface (a warning is emitted on the next tick). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe("job timeout", () => {
  test("a timeout past the runtime's 24.8-day timer limit (30 days): the job runs normally and does not time out at once", async () => {
    const started = await startLinear({ data: "x", count: 3, delay_ms: 100 }, { timeout: 2_592_000 });
    expect(started.status, started.text).toBe(201);
    const record = await api.waitForStatus(started.body.job_id, ["completed", "failed"]);
    expect(record).toMatchObject({ status: "completed", error: null });

    // 2 500 000 s is also past the timer limit: the job is still running later, not timed out.
    const long = await startLinear({ data: "x", count: 100, delay_ms: 50 }, { timeout: 2_500_000 });
    expect(long.status, long.text).toBe(201);
    await settle();
    await settle();
    expect((await api.request<JobRecord>("GET", `/api/jobs/${long.body.job_id}`)).body).toMatchObject({
      status: "running",
      error: null,
    });
    await api.request("POST", `/api/jobs/${long.body.job_id}/cancel`);
    expect(warnings.map((w) => w.name)).not.toContain("TimeoutOverflowWarning");
  });

  test.each([[1e300], [3_000_000], [2_592_001], [0], [-1]])(
    "timeout %s is 422 naming body.timeout, and nothing is created",
    async (timeout) => {
      const before = await jobCount();
      const refused = await startLinear({ data: "x" }, { timeout });
      expect(refused.status, refused.text).toBe(422);
      expect(refused.body.error.code).toBe("VALIDATION_ERROR");
      expect(refused.body.error.details.errors.map((e) => e.path)).toEqual(["body.timeout"]);
      expect(await jobCount()).toBe(before);
      await expectHealthy(api);
    },
  );

  test("a flow DSL with execution.timeout 1e300 is 400 DSL_INVALID naming the field; nothing is stored", async () => {
    for (const timeout of ["1e300", "3000000", "0"]) {
      const dsl = `flow_id: huge_timeout\nroutines:\n  source: {class: DemoSource}\nexecution: {timeout: ${timeout}}\n`;
      const refused = await api.request<ErrorBody>("POST", "/api/flows", { dsl });
      expect(refused.status, refused.text).toBe(400);
      expect(refused.body.error.code).toBe("DSL_INVALID");
      expect(refused.text).toContain("execution.timeout");
      expect((await api.request("GET", "/api/flows/huge_timeout")).status).toBe(404);
    }
    const dsl =
      "flow_id: month_timeout\nroutines:\n  source: {class: DemoSource}\nexecution: {timeout: 2592000}\n";
    expect((await api.request("POST", "/api/flows", { dsl })).status).toBe(201);
    const started = await api.request<JobRecord>("POST", "/api/jobs", {
      flow_id: "month_timeout",
      entry_routine_id: "source",
      entry_params: { data: "x", count: 2, delay_ms: 20 },
    });
    expect(started.status, started.text).toBe(201);
    expect(await api.waitForStatus(started.body.job_id, ["completed", "failed"])).toMatchObject({
      status: "completed",
    });
    expect(warnings.map((w) => w.name)).not.toContain("TimeoutOverflowWarning");
  });
});

describe("waits a routine is asked for", () => {
  test.each([[1e10], [-5], ["Infinity"]])(
    "delay_ms %s fails the routine with a clear message, and no TimeoutOverflowWarning",
    async (delay_ms) => {
      const started = await startLinear({ data: "x", count: 2, delay_ms });
      expect(started.status, started.text).toBe(201);
      const record = await api.waitForStatus(started.body.job_id, ["completed", "failed"]);
      expect(record.status).toBe("failed");
      expect(record.error).toMatch(/delay_ms must be a finite number of milliseconds from 0 to 86400000/);
      await settle();
      expect(warnings.map((w) => w.name)).not.toContain("TimeoutOverflowWarning");
      await expectHealthy(api);
    },
  );

  test("a delay_ms of a day is accepted (the job waits, it does not fire at once)", async () => {
    const started = await startLinear({ data: "x", count: 2, delay_ms: 86_400_000 });
    expect(started.status, started.text).toBe(201);
    await settle();
    const state = await api.request<{ routine_states: Record<string, { execution_count?: number }> }>(
      "GET",
      `/api/jobs/${started.body.job_id}/state`,
    );
    expect((await api.request<JobRecord>("GET", `/api/jobs/${started.body.job_id}`)).body.status).toBe(
      "running",
    );
    expect(state.status).toBe(200);
    await api.request("POST", `/api/jobs/${started.body.job_id}/cancel`);
    expect(warnings.map((w) => w.name)).not.toContain("TimeoutOverflowWarning");
  });
});
