import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Breakpoint } from "../../src/core/breakpoints.js";
import type { JobEvent } from "../../src/core/types.js";
import { MemoryStore } from "../../src/service/memory-store.js";
import { type DebugApi, startDebugServer } from "./support/debug-api.js";

/** The kinds of breakpoint of docs/conditional-breakpoints.md, and what each kind of breakpoint does to a running job. */

type FieldErrors = {
  error: { code: string; message: string; details: { errors: { path: string; message: string }[] } };
};

const ofType = (events: JobEvent[], type: JobEvent["type"]) => events.filter((e) => e.type === type);

/** A job whose source keeps emitting for about half a second. */
const SLOW = { data: "slow", count: 10, delay_ms: 50 };

describe("breakpoints over HTTP", () => {
  let api: DebugApi;

  beforeAll(async () => {
    api = await startDebugServer({ ROUTILUX_EXPR_EVAL_ENABLED: "true" });
  });
  afterAll(() => api?.close());

  const create = (job_id: string, body: unknown) =>
    api.request<Breakpoint & FieldErrors>("POST", `/api/jobs/${job_id}/breakpoints`, body);
  const list = async (job_id: string) =>
    (
      await api.request<{ breakpoints: Breakpoint[]; total: number }>(
        "GET",
        `/api/jobs/${job_id}/breakpoints`,
      )
    ).body;

  test("POST arms a breakpoint on a running job; GET lists it; the job pauses there", async () => {
    const { job_id } = await api.startJob("linear_flow", SLOW);
    const created = await create(job_id, { type: "slot", routine_id: "transformer", slot_name: "input" });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      job_id,
      type: "slot",
      routine_id: "transformer",
      slot_name: "input",
      event_name: null,
      condition: null,
      enabled: true,
      hit_count: 0,
    });
    expect(await list(job_id)).toEqual({ breakpoints: [created.body], total: 1 });
    const session = await api.waitForPause(job_id);
    expect(session.paused_at?.breakpoint_id).toBe(created.body.breakpoint_id);
    await api.request("POST", `/api/jobs/${job_id}/cancel`);
  });

  test("a disabled breakpoint never pauses", async () => {
    const { job_id } = await api.startJob(
      "linear_flow",
      { data: "hello", count: 3 },
      { breakpoints: [{ type: "routine", routine_id: "transformer", enabled: false }] },
    );
    await api.waitForStatus(job_id, "completed");
    const events = await api.events(job_id);
    expect(ofType(events, "job_paused")).toEqual([]);
    expect((await list(job_id)).breakpoints[0]).toMatchObject({ enabled: false, hit_count: 0 });
  });

  test("PUT toggles with ?enabled= or a JSON body, DELETE removes", async () => {
    const { job_id } = await api.startJob(
      "linear_flow",
      { data: "hello", count: 2 },
      { pause_on_start: true, breakpoints: [{ type: "routine", routine_id: "sink", enabled: false }] },
    );
    await api.waitForPause(job_id);
    const [breakpoint] = (await list(job_id)).breakpoints;
    const path = `/api/jobs/${job_id}/breakpoints/${breakpoint!.breakpoint_id}`;

    expect((await api.request("PUT", `${path}?enabled=true`)).body).toMatchObject({ enabled: true });
    expect((await api.request("PUT", path, { enabled: false })).body).toMatchObject({ enabled: false });
    // The query wins over the body.
    expect((await api.request("PUT", `${path}?enabled=true`, { enabled: false })).body).toMatchObject({
      enabled: true,
    });
    const neither = await api.request<FieldErrors>("PUT", path);
    expect(neither.status).toBe(422);
    expect(neither.body.error.details.errors.map((e) => e.path)).toEqual(["query.enabled"]);
    expect((await api.request("PUT", `${path}?enabled=maybe`)).status).toBe(422);

    await api.control(job_id, "resume");
    expect((await api.waitForPause(job_id)).paused_at).toMatchObject({
      routine_id: "sink",
      breakpoint_id: breakpoint!.breakpoint_id,
    });
    const deleted = await api.request("DELETE", path);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe("");
    expect(await list(job_id)).toEqual({ breakpoints: [], total: 0 });
    expect((await api.request<FieldErrors>("DELETE", path)).body.error.code).toBe("BREAKPOINT_NOT_FOUND");
    expect((await api.request<FieldErrors>("PUT", `${path}?enabled=true`)).status).toBe(404);

    await api.control(job_id, "resume");
    await api.waitForStatus(job_id, "completed");
    expect(await api.results(job_id)).toHaveLength(2);
  });

  test("a condition that errors counts as false and is reported once, as breakpoint_error", async () => {
    const { job_id } = await api.startJob(
      "linear_flow",
      { data: "hello", count: 3 },
      {
        breakpoints: [
          { type: "slot", routine_id: "transformer", slot_name: "input", condition: "unknown_name > 1" },
        ],
      },
    );
    await api.waitForStatus(job_id, "completed");
    const events = await api.events(job_id);
    expect(ofType(events, "job_paused")).toEqual([]);
    const errors = ofType(events, "breakpoint_error");
    expect(errors).toHaveLength(1);
    expect(errors[0]!.data).toMatchObject({
      routine_id: "transformer",
      error: "unknown name 'unknown_name'",
    });
    expect(await api.results(job_id)).toHaveLength(3);
  });

  test.each([
    ["% 2", [2, 4]],
    [">= 2", [2, 3, 4, 5]],
    ["== 3", [3]],
  ])("hit_condition %s pauses at hits %j", async (hit_condition, pausingHits) => {
    const { job_id } = await api.startJob(
      "linear_flow",
      { data: "hello", count: 5 },
      { breakpoints: [{ type: "slot", routine_id: "transformer", slot_name: "input", hit_condition }] },
    );
    const indexesAtPauses: unknown[] = [];
    for (;;) {
      const status = (await api.waitForStatus(job_id, ["paused", "completed"])).status;
      if (status === "completed") break;
      indexesAtPauses.push((await api.variables(job_id)).index);
      await api.control(job_id, "resume");
    }
    // The n-th hit is item n-1.
    expect(indexesAtPauses).toEqual(pausingHits.map((hit) => hit - 1));
    expect((await list(job_id)).breakpoints[0]!.hit_count).toBe(5);
  });

  test("a logpoint records a log event with its message rendered, and never pauses", async () => {
    const { job_id } = await api.startJob(
      "linear_flow",
      { data: "hello", count: 2 },
      {
        breakpoints: [
          {
            type: "slot",
            routine_id: "transformer",
            slot_name: "input",
            log_message: "item {index}: {upper(data)} of {job.flow_id}",
          },
        ],
      },
    );
    await api.waitForStatus(job_id, "completed");
    const events = await api.events(job_id);
    expect(ofType(events, "job_paused")).toEqual([]);
    expect(ofType(events, "log").map((e) => e.data)).toEqual([
      expect.objectContaining({ routine_id: "transformer", message: "item 0: HELLO of linear_flow" }),
      expect.objectContaining({ routine_id: "transformer", message: "item 1: HELLO of linear_flow" }),
    ]);
  });

  test("an event breakpoint on validator.valid pauses at the emit", async () => {
    const { job_id } = await api.startJob(
      "linear_flow",
      { data: "hello", count: 2 },
      {
        breakpoints: [
          { type: "event", routine_id: "validator", event_name: "valid", condition: "index == 1" },
        ],
      },
    );
    const session = await api.waitForPause(job_id);
    expect(session.paused_at).toMatchObject({
      routine_id: "validator",
      slot_name: null,
      event_name: "valid",
    });
    // The emit, then the hit and the pause; the emitting handler itself runs to its end.
    const events = await api.events(job_id);
    const emit = events.findIndex(
      (e) =>
        e.type === "event_emitted" &&
        e.data.event_name === "valid" &&
        e.data.payload &&
        (e.data.payload as { index: number }).index === 1,
    );
    expect(events.slice(emit, emit + 3).map((e) => [e.type, e.data.routine_id])).toEqual([
      ["event_emitted", "validator"],
      ["breakpoint_hit", "validator"],
      ["job_paused", "validator"],
    ]);
    expect(await api.deliveries(job_id)).not.toContain("transformer");
    // The emitted payload is what a condition (and evaluate) saw.
    expect(await api.variables(job_id)).toEqual({ data: "hello", index: 1 });
    expect(await api.evaluate(job_id, "event_name + ' ' + str(index)")).toMatchObject({ result: "valid 1" });

    await api.control(job_id, "resume");
    await api.waitForStatus(job_id, "completed");
    expect(await api.results(job_id)).toHaveLength(2);
  });

  test("at an emit, the call stack starts at the emit and evaluate's frames follow it", async () => {
    const { job_id } = await api.startJob(
      "linear_flow",
      { data: "hello", count: 1 },
      { breakpoints: [{ type: "event", event_name: "valid" }] },
    );
    await api.waitForPause(job_id);
    const { body } = await api.request<{ call_stack: { routine_id: string; event_name: string | null }[] }>(
      "GET",
      `/api/jobs/${job_id}/debug/call-stack`,
    );
    expect(body.call_stack.map((f) => [f.routine_id, f.event_name])).toEqual([
      ["validator", "valid"],
      ["validator", "output"],
      ["source", null],
    ]);
    expect(await api.session(job_id)).toMatchObject({ call_stack_depth: 3 });
    expect(await api.evaluate(job_id, "event_name", { frame_index: 1 })).toMatchObject({ result: "output" });
    expect(await api.evaluate(job_id, "count", { routine_id: "source" })).toMatchObject({ result: 1 });
    await api.control(job_id, "resume");
  });
});

describe("refused breakpoints", () => {
  let api: DebugApi;
  let job_id: string;

  beforeAll(async () => {
    api = await startDebugServer();
    // Paused before its first delivery for as long as these tests run.
    job_id = (await api.startJob("linear_flow", { data: "hello" }, { pause_on_start: true })).job_id;
  });
  afterAll(() => api?.close());

  const refused = async (path: string, body: unknown) => {
    const response = await api.request<FieldErrors>("POST", path, body);
    expect(response.status, response.text).toBe(422);
    expect(response.body.error.code).toBe("VALIDATION_ERROR");
    return response.body.error.details.errors;
  };

  test("a condition that does not parse: 422 naming body.condition, with the position", async () => {
    const errors = await refused(`/api/jobs/${job_id}/breakpoints`, {
      type: "routine",
      routine_id: "transformer",
      condition: "index >= )",
    });
    expect(errors).toEqual([{ path: "body.condition", message: expect.stringMatching(/at character \d+/) }]);
  });

  test("a condition calling a function that is not allowed says where", async () => {
    const errors = await refused(`/api/jobs/${job_id}/breakpoints`, {
      type: "routine",
      routine_id: "transformer",
      condition: "index > 1 and eval('1')",
    });
    expect(errors).toEqual([
      { path: "body.condition", message: expect.stringMatching(/'eval' is not allowed.* at character \d+/) },
    ]);
  });

  test("a logpoint part that does not parse: 422 naming body.log_message", async () => {
    const errors = await refused(`/api/jobs/${job_id}/breakpoints`, {
      type: "routine",
      routine_id: "transformer",
      log_message: "item {index +}",
    });
    expect(errors.map((e) => e.path)).toEqual(["body.log_message"]);
  });

  test.each([
    [{ type: "slot", routine_id: "transformer" }, "body.slot_name"],
    [{ type: "routine" }, "body.routine_id"],
    [{ type: "event", routine_id: "validator" }, "body.event_name"],
    [{ type: "watch", routine_id: "validator" }, "body.type"],
    [{ type: "routine", routine_id: "transformer", hit_condition: "sometimes" }, "body.hit_condition"],
  ])("%j is missing or misstates its target: 422 naming %s", async (body, path) => {
    const errors = await refused(`/api/jobs/${job_id}/breakpoints`, body);
    expect(errors.map((e) => e.path)).toEqual([path]);
  });

  test("the same checks apply to breakpoints given on POST /api/jobs, and no job is created", async () => {
    const before = (await api.request<{ total: number }>("GET", "/api/jobs")).body.total;
    const errors = await refused("/api/jobs", {
      flow_id: "linear_flow",
      entry_routine_id: "source",
      breakpoints: [
        { type: "slot", routine_id: "transformer", slot_name: "input" },
        { type: "slot", condition: "(" },
      ],
    });
    expect(errors.map((e) => e.path).sort()).toEqual([
      "body.breakpoints.1.condition",
      "body.breakpoints.1.routine_id",
    ]);
    expect((await api.request<{ total: number }>("GET", "/api/jobs")).body.total).toBe(before);
  });

  test("unknown jobs and breakpoints are 404 with their codes", async () => {
    const codeOf = async (method: string, path: string, body?: unknown) =>
      (await api.request<FieldErrors>(method, path, body)).body.error.code;
    expect(await codeOf("POST", "/api/jobs/nope/breakpoints", { type: "routine", routine_id: "x" })).toBe(
      "JOB_NOT_FOUND",
    );
    expect(await codeOf("GET", "/api/jobs/nope/breakpoints")).toBe("JOB_NOT_FOUND");
    expect(await codeOf("GET", "/api/jobs/nope/debug/session")).toBe("JOB_NOT_FOUND");
    expect(await codeOf("DELETE", `/api/jobs/${job_id}/breakpoints/bp_nope`)).toBe("BREAKPOINT_NOT_FOUND");
    expect(await codeOf("GET", "/api/jobs/bad%20id/breakpoints")).toBe("VALIDATION_ERROR");
  });
});

describe("a finished job", () => {
  test("has no session; its breakpoints come from the store, hit counts included; resume and step are 409", async () => {
    const store = new MemoryStore();
    const first = await startDebugServer({}, { store });
    const { job_id } = await first.startJob(
      "linear_flow",
      { data: "hello", count: 3 },
      {
        breakpoints: [
          { type: "slot", routine_id: "transformer", slot_name: "input", condition: "index == 1" },
        ],
      },
    );
    await first.waitForPause(job_id);
    await first.control(job_id, "resume");
    await first.waitForStatus(job_id, "completed");
    await first.close();

    // A new server over the same store: the job is known only to the store now.
    const api = await startDebugServer({}, { store });
    try {
      expect(await api.session(job_id)).toEqual({ status: "no_session", job_id });
      const { body } = await api.request<{ breakpoints: Breakpoint[]; total: number }>(
        "GET",
        `/api/jobs/${job_id}/breakpoints`,
      );
      expect(body.total).toBe(1);
      expect(body.breakpoints[0]).toMatchObject({
        routine_id: "transformer",
        condition: "index == 1",
        hit_count: 1,
      });
      // Breakpoints can still be added, toggled and deleted (they never hit); debugging calls are refused.
      const breakpointPath = `/api/jobs/${job_id}/breakpoints/${body.breakpoints[0]!.breakpoint_id}`;
      const calls = [
        await api.request("POST", `/api/jobs/${job_id}/breakpoints`, { type: "routine", routine_id: "sink" }),
        await api.request("PUT", `${breakpointPath}?enabled=false`),
        await api.request("DELETE", breakpointPath),
        await api.request("POST", `/api/jobs/${job_id}/debug/resume`),
        await api.request("POST", `/api/jobs/${job_id}/debug/step-over`),
      ];
      expect(calls.map((r) => r.status)).toEqual([201, 200, 204, 409, 409]);
    } finally {
      await api.close();
    }
  });
});
