import { describe, expect, test } from "vitest";
import { z } from "zod";
import type { ErrorHandler } from "../../src/core/flow.js";
import { defineRoutine } from "../../src/core/routine.js";
import {
  eventsOf,
  listAt,
  type RoutineSketch,
  registryWith,
  runFlow,
  sinkResults,
  sketchFlow,
  work,
} from "../support/engine.js";

/** Fails its first `fail_times` calls in a job, noting when each call happened. */
const Flaky = defineRoutine({
  name: "Flaky",
  slots: ["input"],
  events: ["output"],
  config: z.object({ fail_times: z.number().int().default(0) }),
  handlers: {
    input(payload, ctx) {
      const calls = listAt<number>(ctx.state, "calls");
      calls.push(performance.now());
      if (calls.length <= ctx.config.fail_times) throw new Error(`flaky call ${calls.length}`);
      ctx.emit("output", payload);
    },
  },
});

type OnError = Pick<ErrorHandler, "strategy"> & Partial<ErrorHandler>;

/** source → faulty (DemoFaulty failing at the given indexes, with the given error handler) → sink. */
const faultyFlow = (onError: OnError | undefined, fail_indexes: number[]) =>
  sketchFlow({
    routines: {
      source: "DemoSource",
      faulty: { type: "DemoFaulty", config: { fail_indexes }, ...(onError ? { onError } : {}) },
      sink: "DemoSink",
    },
    connections: ["source.output -> faulty.input", "faulty.output -> sink.input"],
  });

const flakyFlow = (fail_times: number, onError: OnError) => {
  const flaky: RoutineSketch = { type: "Flaky", config: { fail_times }, onError };
  return sketchFlow({
    routines: { source: "DemoSource", flaky, sink: "DemoSink" },
    connections: ["source.output -> flaky.input", "flaky.output -> sink.input"],
  });
};

const gapsBetween = (times: number[]): number[] => times.slice(1).map((t, i) => t - times[i]!);

describe("error strategies", () => {
  test("stop fails the job with the routine's error and runs nothing after it", async () => {
    const { job, record } = await runFlow(faultyFlow({ strategy: "stop" }, [1]), {
      params: { data: "d", count: 3 },
    });

    expect(record.status).toBe("failed");
    expect(record.error).toContain("demo failure for index 1");
    expect(record.error).toContain("faulty");
    expect(eventsOf(job, "routine_failed")).toHaveLength(1);
    expect(eventsOf(job, "routine_failed")[0]?.data).toMatchObject({
      routine_id: "faulty",
      status: "failed",
      error: "demo failure for index 1",
    });
    expect(job.log.all().at(-1)).toMatchObject({ type: "job_failed", data: { routine_id: "faulty" } });
    // Breadth-first: sink's delivery for item 0 was still queued behind faulty's item 1, and is dropped.
    const failedAt = eventsOf(job, "routine_failed")[0]!.seq;
    expect(job.log.since(failedAt).filter((e) => e.type === "slot_called")).toEqual([]);
    expect(sinkResults(job)).toEqual([]);
  });

  test("a routine with no error handler stops, like `stop`", async () => {
    const { record } = await runFlow(faultyFlow(undefined, [0]), { params: { data: "d" } });

    expect(record.status).toBe("failed");
    expect(record.error).toContain("demo failure for index 0");
  });

  test("continue records routine_failed and the job completes with the other items", async () => {
    const { job, record } = await runFlow(faultyFlow({ strategy: "continue" }, [1]), {
      params: { data: "d", count: 3 },
    });

    expect(record.status).toBe("completed");
    expect(record.error).toBeNull();
    expect(eventsOf(job, "routine_failed").map((e) => e.data)).toEqual([
      expect.objectContaining({ routine_id: "faulty", status: "failed", error: "demo failure for index 1" }),
    ]);
    expect(sinkResults(job).map((r) => r.index)).toEqual([0, 2]);
  });

  test("skip drops the failed delivery, records it as skipped, and the job completes", async () => {
    const { job, record } = await runFlow(faultyFlow({ strategy: "skip" }, [0, 2]), {
      params: { data: "d", count: 3 },
    });

    expect(record.status).toBe("completed");
    expect(eventsOf(job, "routine_failed").map((e) => e.data.status)).toEqual(["skipped", "skipped"]);
    expect(sinkResults(job).map((r) => r.index)).toEqual([1]);
  });

  test("retry re-delivers after retry_delay, multiplied by retry_backoff each time, then succeeds", async () => {
    const onError: OnError = { strategy: "retry", max_retries: 3, retry_delay: 0.02, retry_backoff: 2 };

    const { job, record } = await runFlow(flakyFlow(3, onError), {
      registry: registryWith(Flaky),
      params: { data: "d" },
    });

    expect(record.status).toBe("completed");
    const calls = job.routineState("flaky").calls as number[];
    expect(calls).toHaveLength(4);
    // Timers may fire a little late, never (noticeably) early: lower bounds only, with 2 ms for rounding.
    const [first, second, third] = gapsBetween(calls);
    expect(first).toBeGreaterThanOrEqual(20 - 2);
    expect(second).toBeGreaterThanOrEqual(40 - 2);
    expect(third).toBeGreaterThanOrEqual(80 - 2);
    expect(eventsOf(job, "routine_failed").map((e) => e.data)).toEqual([
      expect.objectContaining({ status: "retrying", attempt: 1, retry_in: 0.02, error: "flaky call 1" }),
      expect.objectContaining({ status: "retrying", attempt: 2, retry_in: 0.04, error: "flaky call 2" }),
      expect.objectContaining({ status: "retrying", attempt: 3, retry_in: 0.08, error: "flaky call 3" }),
    ]);
    expect(sinkResults(job)).toEqual([{ data: "d", index: 0 }]);
  });

  test("retry that runs out of attempts fails the job with the routine's last error", async () => {
    const onError: OnError = { strategy: "retry", max_retries: 2, retry_delay: 0.001, retry_backoff: 1 };

    const { job, record } = await runFlow(flakyFlow(99, onError), {
      registry: registryWith(Flaky),
      params: { data: "d" },
    });

    expect(record.status).toBe("failed");
    expect(record.error).toContain("flaky call 3");
    expect(job.routineState("flaky").calls).toHaveLength(3);
    expect(eventsOf(job, "routine_failed").map((e) => e.data.status)).toEqual([
      "retrying",
      "retrying",
      "failed",
    ]);
    expect(sinkResults(job)).toEqual([]);
  });

  test("a retried delivery into an append slot is merged once, not once per attempt", async () => {
    const FlakyBag = defineRoutine({
      name: "FlakyBag",
      slots: { input: { merge: "append" } },
      events: [],
      handlers: {
        input(merged, ctx) {
          const calls = ((ctx.state.calls as number | undefined) ?? 0) + 1;
          ctx.state.calls = calls;
          if (calls === 1) throw new Error("first attempt fails");
          ctx.state.seen = structuredClone(merged);
        },
      },
    });
    const flow = sketchFlow({
      routines: {
        source: "DemoSource",
        bag: { type: "FlakyBag", onError: { strategy: "retry", max_retries: 1, retry_delay: 0.001 } },
      },
      connections: ["source.output -> bag.input"],
    });

    const { job, record } = await runFlow(flow, { registry: registryWith(FlakyBag), params: { data: "d" } });

    expect(record.status).toBe("completed");
    expect(job.routineState("bag").seen).toEqual({ data: ["d"], index: [0] });
  });

  test("a retry pending on its timer keeps the job from completing", async () => {
    const onError: OnError = { strategy: "retry", max_retries: 1, retry_delay: 0.03, retry_backoff: 1 };

    const { job, record } = await runFlow(flakyFlow(1, onError), {
      registry: registryWith(Flaky),
      params: { data: "d" },
    });

    expect(record.status).toBe("completed");
    expect(sinkResults(job)).toHaveLength(1);
    const retried = eventsOf(job, "routine_failed")[0]!.seq;
    expect(eventsOf(job, "job_completed")[0]!.seq).toBeGreaterThan(retried);
  });
});

describe("what counts as a routine failure", () => {
  test("emitting an undeclared event fails the routine", async () => {
    const Rogue = defineRoutine({
      name: "Rogue",
      slots: ["input"],
      events: ["output"],
      handlers: {
        input(_payload, ctx) {
          ctx.emit("surprise", {});
        },
      },
    });
    const flow = sketchFlow({
      routines: { source: "DemoSource", rogue: "Rogue" },
      connections: ["source.output -> rogue.input"],
    });

    const { job, record } = await runFlow(flow, { registry: registryWith(Rogue), params: { data: "d" } });

    expect(record.status).toBe("failed");
    expect(record.error).toContain("has no event 'surprise'");
    expect(eventsOf(job, "routine_failed")[0]?.data).toMatchObject({ routine_id: "rogue" });
    expect(eventsOf(job, "event_emitted").filter((e) => e.data.routine_id === "rogue")).toEqual([]);
  });

  test("an async handler that rejects counts as a failure, handled by the routine's strategy", async () => {
    const Sour = defineRoutine({
      name: "Sour",
      slots: ["input"],
      events: ["output"],
      handlers: {
        async input(payload, ctx) {
          await work(1);
          if (payload.index === 0) throw new Error("sour at 0");
          ctx.emit("output", payload);
        },
      },
    });
    const flow = (strategy: OnError["strategy"]) =>
      sketchFlow({
        routines: { source: "DemoSource", sour: { type: "Sour", onError: { strategy } }, sink: "DemoSink" },
        connections: ["source.output -> sour.input", "sour.output -> sink.input"],
      });
    const registry = registryWith(Sour);

    const stopped = await runFlow(flow("stop"), { registry, params: { data: "d", count: 2 } });
    const continued = await runFlow(flow("continue"), { registry, params: { data: "d", count: 2 } });

    expect(stopped.record.status).toBe("failed");
    expect(stopped.record.error).toContain("sour at 0");
    expect(continued.record.status).toBe("completed");
    expect(eventsOf(continued.job, "routine_failed")[0]?.data.error).toBe("sour at 0");
    expect(sinkResults(continued.job)).toEqual([{ data: "d", index: 1 }]);
  });

  test("emitting after the handler has finished is refused", async () => {
    let late: (() => void) | undefined;
    const Lingering = defineRoutine({
      name: "Lingering",
      slots: ["input"],
      events: ["output"],
      handlers: {
        input(_payload, ctx) {
          late = () => ctx.emit("output", {});
        },
      },
    });
    const flow = sketchFlow({
      routines: { source: "DemoSource", l: "Lingering" },
      connections: ["source.output -> l.input"],
    });

    await runFlow(flow, { registry: registryWith(Lingering), params: { data: "d" } });

    expect(late).toThrow(/after its handler finished/);
  });
});
