import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type DebugApi, startDebugServer } from "./support/debug-api.js";

/**
 * The debugger's acceptance (issue 4): a conditional slot breakpoint on `linear_flow`, read back through the
 * session, variables, call stack and evaluate, then resumed to the end with nothing lost.
 */

const HELLO_RESULTS = [
  { result: "HELLO", index: 0 },
  { result: "HELLO", index: 1 },
  { result: "HELLO", index: 2 },
];

describe("a conditional slot breakpoint on linear_flow", () => {
  let api: DebugApi;
  let job_id: string;

  beforeAll(async () => {
    api = await startDebugServer({ ROUTILUX_EXPR_EVAL_ENABLED: "true" });
    const job = await api.startJob(
      "linear_flow",
      { data: "hello", count: 3 },
      {
        breakpoints: [
          { type: "slot", routine_id: "transformer", slot_name: "input", condition: "index >= 2" },
        ],
      },
    );
    job_id = job.job_id;
  });
  afterAll(() => api?.close());

  test("pauses at the third delivery to transformer.input, and the job says paused", async () => {
    const session = await api.waitForPause(job_id);
    expect(session.paused_at).toMatchObject({
      routine_id: "transformer",
      slot_name: "input",
      event_name: null,
    });
    expect((await api.request<{ status: string }>("GET", `/api/jobs/${job_id}`)).body.status).toBe("paused");
    // Breadth first: every validator delivery, then transformer for items 0 and 1; parked before item 2.
    expect(await api.deliveries(job_id)).toEqual([
      "source",
      "validator",
      "validator",
      "validator",
      "transformer",
      "transformer",
    ]);
    expect(await api.variables(job_id)).toEqual({ data: "hello", index: 2 });
  });

  test("the breakpoint has hit once and the session names it", async () => {
    const { body } = await api.request<{
      breakpoints: { breakpoint_id: string; hit_count: number }[];
      total: number;
    }>("GET", `/api/jobs/${job_id}/breakpoints`);
    expect(body.total).toBe(1);
    expect(body.breakpoints[0]!.hit_count).toBe(1);
    const session = await api.waitForPause(job_id);
    expect(session.paused_at?.breakpoint_id).toBe(body.breakpoints[0]!.breakpoint_id);
  });

  test("breakpoint_hit is logged, then job_paused with reason breakpoint", async () => {
    const events = await api.events(job_id);
    const hit = events.findIndex((e) => e.type === "breakpoint_hit");
    expect(hit).toBeGreaterThan(0);
    expect(events[hit]!.data).toMatchObject({ routine_id: "transformer", hit_count: 1 });
    expect(events[hit + 1]).toMatchObject({
      type: "job_paused",
      data: { reason: "breakpoint", routine_id: "transformer", slot_name: "input" },
    });
  });

  test("evaluate answers with the names of the paused point", async () => {
    expect(await api.evaluate(job_id, "index * 10")).toEqual({ result: 20, type: "number", error: null });
    expect(await api.evaluate(job_id, "payload.data")).toEqual({
      result: "hello",
      type: "string",
      error: null,
    });
    expect(await api.evaluate(job_id, "routine_id + '.' + slot_name")).toMatchObject({
      result: "transformer.input",
    });
    expect(await api.evaluate(job_id, "job.status")).toMatchObject({ result: "paused", type: "string" });
    expect(await api.evaluate(job_id, "nope + 1")).toEqual({
      result: null,
      type: null,
      error: "unknown name 'nope'",
    });
  });

  test("the call stack is the chain of deliveries that led here, and evaluate can look up it", async () => {
    const { body } = await api.request<{ job_id: string; call_stack: unknown[] }>(
      "GET",
      `/api/jobs/${job_id}/debug/call-stack`,
    );
    expect(body).toEqual({
      job_id,
      call_stack: [
        { routine_id: "transformer", slot_name: "input", event_name: "valid", variables: ["data", "index"] },
        { routine_id: "validator", slot_name: "input", event_name: "output", variables: ["data", "index"] },
        { routine_id: "source", slot_name: "trigger", event_name: null, variables: ["data", "count"] },
      ],
    });
    expect(await api.session(job_id)).toMatchObject({ call_stack_depth: 3 });
    expect(await api.evaluate(job_id, "count", { frame_index: 2 })).toMatchObject({ result: 3 });
    expect(await api.evaluate(job_id, "routine_id", { routine_id: "validator" })).toMatchObject({
      result: "validator",
    });
  });

  test("resume runs the job to completed with every item through", async () => {
    expect(await api.control(job_id, "resume")).toEqual({ status: "resumed", job_id });
    await api.waitForStatus(job_id, "completed");
    expect(await api.results(job_id)).toEqual(HELLO_RESULTS);
    expect(await api.session(job_id)).toEqual({ status: "no_session", job_id });
  });
});
