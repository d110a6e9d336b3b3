import { describe, expect, test } from "vitest";
import type { JsonObject } from "../../src/core/types.js";
import { demoFlow, eventsOf, runFlow, sinkResults, slotCalls } from "../support/engine.js";

/** The demo flows end as src/routines/demo-flows.ts defines them. */
describe("demo flows", () => {
  test("linear_flow: three items arrive upper-cased, in order, with their indexes", async () => {
    const { record, job } = await runFlow(demoFlow("linear_flow"), { params: { data: "hello", count: 3 } });

    expect(record.status).toBe("completed");
    expect(sinkResults(job)).toEqual([
      { result: "HELLO", index: 0 },
      { result: "HELLO", index: 1 },
      { result: "HELLO", index: 2 },
    ]);
  });

  test("routine durations are seconds to the microsecond, never negative", async () => {
    const { job } = await runFlow(demoFlow("linear_flow"), { params: { data: "hello", count: 20 } });
    const durations = eventsOf(job, "routine_completed").map((e) => e.data.duration as number);
    expect(durations).toHaveLength(61);
    for (const duration of durations) {
      expect(duration).toBeGreaterThanOrEqual(0);
      expect(Math.round(duration * 1e6) / 1e6).toBe(duration);
    }
  });

  test("linear_flow: empty data is invalid and never reaches the sink", async () => {
    const { record, job } = await runFlow(demoFlow("linear_flow"), { params: { data: "", count: 2 } });

    expect(record.status).toBe("completed");
    expect(sinkResults(job)).toEqual([]);
    expect(eventsOf(job, "event_emitted").filter((e) => e.data.event_name === "invalid")).toHaveLength(2);
  });

  test("branching_flow: every item arrives once upper-cased and once doubled", async () => {
    const { record, job } = await runFlow(demoFlow("branching_flow"), { params: { data: "hi", count: 3 } });

    expect(record.status).toBe("completed");
    const results = sinkResults(job);
    expect(results).toHaveLength(6);
    for (const index of [0, 1, 2]) {
      expect(results).toContainEqual({ result: "HI", index });
      expect(results).toContainEqual({ result: "hihi", index });
    }
  });

  test("complex_flow: nine results, aggregated in threes, every one accounted for", async () => {
    const { record, job } = await runFlow(demoFlow("complex_flow"), { params: { data: "hi", count: 3 } });

    expect(record.status).toBe("completed");
    const batches = sinkResults(job).map((r) => r.items as JsonObject[]);
    expect(batches).toHaveLength(3);
    expect(batches.every((batch) => batch.length === 3)).toBe(true);
    const items = batches.flat();
    for (const index of [0, 1, 2]) {
      expect(items).toContainEqual({ result: "HI", index });
      expect(items).toContainEqual({ result: "hihi", index });
      expect(items).toContainEqual({ data: "hi", index });
    }
    expect(slotCalls(job)["aggregator.input"]).toBe(9);
  });

  test("error_flow: data 'fail' ends the job failed with the routine's error", async () => {
    const { record, job } = await runFlow(demoFlow("error_flow"), { params: { data: "fail" } });

    expect(record.status).toBe("failed");
    expect(record.error).toContain("demo failure for index 0");
    expect(eventsOf(job, "routine_failed")[0]?.data).toMatchObject({
      routine_id: "faulty",
      error: "demo failure for index 0",
    });
    expect(sinkResults(job)).toEqual([]);
  });

  test("error_flow: good data passes through", async () => {
    const { record, job } = await runFlow(demoFlow("error_flow"), { params: { data: "ok", count: 2 } });

    expect(record.status).toBe("completed");
    expect(sinkResults(job)).toEqual([
      { data: "ok", index: 0 },
      { data: "ok", index: 1 },
    ]);
  });
});
