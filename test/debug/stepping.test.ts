import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type DebugApi, startDebugServer } from "./support/debug-api.js";

/**
 * Stepping, pause_on_start, changing a variable (docs/debugging.md). The step tests park on
 * `validator.input` for item 0 of three, where the two steps disagree: the next delivery is validator's item 1,
 * while the next one the paused handler causes is transformer's item 0.
 */

const AT_FIRST_VALIDATION = {
  breakpoints: [{ type: "slot", routine_id: "validator", slot_name: "input", condition: "index == 0" }],
};

describe("stepping", () => {
  let api: DebugApi;

  beforeAll(async () => {
    api = await startDebugServer();
  });
  afterAll(() => api?.close());

  async function pausedAtFirstValidation(): Promise<string> {
    const { job_id } = await api.startJob("linear_flow", { data: "hello", count: 3 }, AT_FIRST_VALIDATION);
    await api.waitForPause(job_id);
    expect(await api.variables(job_id)).toEqual({ data: "hello", index: 0 });
    return job_id;
  }

  test("step-over runs the paused handler, then pauses at the next delivery", async () => {
    const job_id = await pausedAtFirstValidation();
    expect(await api.control(job_id, "step-over")).toEqual({ status: "stepping", job_id, step_mode: "over" });

    const session = await api.waitForPause(job_id);
    expect(session.paused_at).toEqual({
      routine_id: "validator",
      slot_name: "input",
      event_name: null,
      breakpoint_id: null,
    });
    expect(await api.variables(job_id)).toEqual({ data: "hello", index: 1 });
    expect(await api.deliveriesBetweenPauses(job_id)).toEqual([["source"], ["validator"], []]);
    const pauses = (await api.events(job_id)).filter((e) => e.type === "job_paused");
    expect(pauses.map((e) => e.data.reason)).toEqual(["breakpoint", "step"]);
  });

  test("step-into pauses at the next delivery the paused handler caused", async () => {
    const job_id = await pausedAtFirstValidation();
    expect(await api.control(job_id, "step-into")).toEqual({ status: "stepping", job_id, step_mode: "into" });

    const session = await api.waitForPause(job_id);
    expect(session.paused_at).toMatchObject({ routine_id: "transformer", slot_name: "input" });
    expect(await api.variables(job_id)).toEqual({ data: "hello", index: 0 });
    // Validator's items 1 and 2 were queued first, so they ran on the way.
    expect(await api.deliveriesBetweenPauses(job_id)).toEqual([
      ["source"],
      ["validator", "validator", "validator"],
      [],
    ]);
  });

  test("step-into a handler that causes nothing steps over it", async () => {
    const { job_id } = await api.startJob(
      "linear_flow",
      { data: "hello", count: 2 },
      { breakpoints: [{ type: "routine", routine_id: "sink", condition: "index == 0" }] },
    );
    await api.waitForPause(job_id);
    await api.control(job_id, "step-into");
    const session = await api.waitForPause(job_id);
    expect(session.paused_at).toMatchObject({ routine_id: "sink", slot_name: "input" });
    expect(await api.variables(job_id)).toEqual({ result: "HELLO", index: 1 });
  });

  test("after stepping, resume finishes the job with nothing lost", async () => {
    const job_id = await pausedAtFirstValidation();
    await api.control(job_id, "step-over");
    await api.waitForPause(job_id);
    await api.control(job_id, "step-into");
    await api.waitForPause(job_id);
    await api.control(job_id, "resume");
    await api.waitForStatus(job_id, "completed");
    expect(await api.results(job_id)).toEqual([0, 1, 2].map((index) => ({ result: "HELLO", index })));
  });

  test("steps and resume on a job that is not paused are 409", async () => {
    const { job_id } = await api.startJob("linear_flow", { data: "hello", count: 1 });
    await api.waitForStatus(job_id, "completed");
    for (const verb of ["resume", "step-over", "step-into"]) {
      const response = await api.request<{ error: { code: string } }>(
        "POST",
        `/api/jobs/${job_id}/debug/${verb}`,
      );
      expect(response.status, verb).toBe(409);
      expect(response.body.error.code).toBe("INVALID_STATE");
    }
  });
});

describe("pause_on_start", () => {
  let api: DebugApi;

  beforeAll(async () => {
    api = await startDebugServer();
  });
  afterAll(() => api?.close());

  test("catches the entry routine's trigger before anything runs", async () => {
    const { job_id } = await api.startJob(
      "linear_flow",
      { data: "hello", count: 2 },
      { pause_on_start: true },
    );
    const session = await api.waitForPause(job_id);
    expect(session.paused_at).toEqual({
      routine_id: "source",
      slot_name: "trigger",
      event_name: null,
      breakpoint_id: null,
    });
    expect(await api.deliveries(job_id)).toEqual([]);
    expect(await api.variables(job_id)).toEqual({ data: "hello", count: 2 });

    await api.control(job_id, "step-over");
    expect((await api.waitForPause(job_id)).paused_at).toMatchObject({ routine_id: "validator" });
    expect(await api.deliveries(job_id)).toEqual(["source"]);
    await api.control(job_id, "resume");
    await api.waitForStatus(job_id, "completed");
  });
});

describe("changing a variable while paused", () => {
  let api: DebugApi;

  beforeAll(async () => {
    api = await startDebugServer();
  });
  afterAll(() => api?.close());

  test("the paused handler sees the new value", async () => {
    const { job_id } = await api.startJob(
      "linear_flow",
      { data: "hello", count: 1 },
      { breakpoints: [{ type: "slot", routine_id: "transformer", slot_name: "input" }] },
    );
    await api.waitForPause(job_id);
    const set = await api.request("PUT", `/api/jobs/${job_id}/debug/variables/data`, { value: "world" });
    expect(set).toMatchObject({ status: 200, body: { job_id, variable: "data", value: "world" } });
    expect(await api.variables(job_id)).toEqual({ data: "world", index: 0 });

    await api.control(job_id, "resume");
    await api.waitForStatus(job_id, "completed");
    expect(await api.results(job_id)).toEqual([{ result: "WORLD", index: 0 }]);
  });

  test("another routine's state is readable with ?routine_id=", async () => {
    const { job_id } = await api.startJob(
      "linear_flow",
      { data: "hello", count: 1 },
      { breakpoints: [{ type: "routine", routine_id: "sink" }] },
    );
    await api.waitForPause(job_id);
    const response = await api.request("GET", `/api/jobs/${job_id}/debug/variables?routine_id=transformer`);
    expect(response).toMatchObject({
      status: 200,
      body: { job_id, routine_id: "transformer", variables: {} },
    });
    expect((await api.request("GET", `/api/jobs/${job_id}/debug/variables?routine_id=nope`)).status).toBe(
      404,
    );
    await api.control(job_id, "resume");
  });

  test("a value is required, and setting one on a job that is not paused is 409 (reading is 200, empty)", async () => {
    const { job_id } = await api.startJob(
      "linear_flow",
      { data: "hello", count: 1 },
      { pause_on_start: true },
    );
    await api.waitForPause(job_id);
    const missing = await api.request<{ error: { details: { errors: { path: string }[] } } }>(
      "PUT",
      `/api/jobs/${job_id}/debug/variables/data`,
      {},
    );
    expect(missing.status).toBe(422);
    expect(missing.body.error.details.errors.map((e) => e.path)).toEqual(["body.value"]);
    const prototypeName = await api.request("PUT", `/api/jobs/${job_id}/debug/variables/__proto__`, {
      value: 1,
    });
    expect(prototypeName.status).toBe(422);

    await api.control(job_id, "resume");
    await api.waitForStatus(job_id, "completed");
    expect((await api.request("PUT", `/api/jobs/${job_id}/debug/variables/data`, { value: 1 })).status).toBe(
      409,
    );
    expect((await api.request("GET", `/api/jobs/${job_id}/debug/variables`)).body).toEqual({
      job_id,
      routine_id: null,
      variables: {},
    });
    expect((await api.request("GET", `/api/jobs/${job_id}/debug/call-stack`)).status).toBe(409);
  });
});
