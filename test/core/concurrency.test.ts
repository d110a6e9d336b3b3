import { describe, expect, test } from "vitest";
import { defineRoutine } from "../../src/core/routine.js";
import type { JsonObject } from "../../src/core/types.js";
import {
  ConcurrencyGauge,
  eventsOf,
  Gate,
  registryWith,
  runToEnd,
  sinkResults,
  sketchFlow,
  startJob,
  waitFor,
  work,
} from "../support/engine.js";

/** An async routine that reports to `gauge` how many of its handlers are running at this moment. */
function busyRoutine(gauge: ConcurrencyGauge) {
  return defineRoutine({
    name: "Busy",
    slots: ["input"],
    events: ["output"],
    handlers: {
      async input(payload, ctx) {
        gauge.enter();
        try {
          await work(2);
        } finally {
          gauge.leave();
        }
        ctx.emit("output", payload);
      },
    },
  });
}

const busyFlow = (strategy: "sequential" | "concurrent", max_workers = 5) =>
  sketchFlow({
    routines: { source: "DemoSource", busy: "Busy", sink: "DemoSink" },
    connections: ["source.output -> busy.input", "busy.output -> sink.input"],
    strategy,
    max_workers,
  });

describe("execution strategies", () => {
  test("concurrent runs up to max_workers handlers at once, never more", async () => {
    const gauge = new ConcurrencyGauge();
    const job = startJob(busyFlow("concurrent", 3), {
      registry: registryWith(busyRoutine(gauge)),
      params: { data: "x", count: 30 },
    });

    await runToEnd(job);

    expect(gauge.max).toBe(3);
    expect(gauge.live).toBe(0);
    expect(sinkResults(job)).toHaveLength(30);
  });

  test("sequential never runs more than one handler at a time", async () => {
    const gauge = new ConcurrencyGauge();
    const job = startJob(busyFlow("sequential"), {
      registry: registryWith(busyRoutine(gauge)),
      params: { data: "x", count: 10 },
    });

    await runToEnd(job);

    expect(gauge.max).toBe(1);
    expect(sinkResults(job)).toHaveLength(10);
  });

  test("seq is 1..N without gaps or reordering while async handlers finish out of order", async () => {
    const Jittery = defineRoutine({
      name: "Jittery",
      slots: ["input"],
      events: ["output"],
      handlers: {
        async input(payload, ctx) {
          await work(Number(payload.index) % 3); // later items often finish first
          ctx.log("done", { index: payload.index });
          ctx.emit("output", payload);
        },
      },
    });
    const flow = sketchFlow({
      routines: { source: "DemoSource", a: "Jittery", b: "Jittery", sink: "DemoSink" },
      connections: [
        "source.output -> a.input",
        "source.output -> b.input",
        "a.output -> sink.input",
        "b.output -> sink.input",
      ],
      strategy: "concurrent",
      max_workers: 8,
    });
    const job = startJob(flow, { registry: registryWith(Jittery), params: { data: 1, count: 40 } });

    await runToEnd(job);

    const seqs = job.log.all().map((event) => event.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(job.log.lastSeq).toBe(seqs.length);
    expect(sinkResults(job)).toHaveLength(80);
  });
});

describe("jobs of one flow share nothing", () => {
  /** Counts its deliveries in routine state and emits the running count. */
  const Counter = defineRoutine({
    name: "Counter",
    slots: ["input"],
    events: ["output"],
    handlers: {
      async input(_payload, ctx) {
        await work(1); // let the other job's handlers interleave with this one's
        const count = ((ctx.state.count as number | undefined) ?? 0) + 1;
        ctx.state.count = count;
        ctx.emit("output", { count });
      },
    },
  });
  /** Emits how many items its append buffer holds: the buffer is per job, so it counts only this job's. */
  const Tally = defineRoutine({
    name: "Tally",
    slots: { input: { merge: "append" } },
    events: ["output"],
    handlers: {
      input(merged, ctx) {
        ctx.emit("output", { seen: (merged.count as unknown[]).length });
      },
    },
  });
  const flow = sketchFlow({
    routines: { source: "DemoSource", counter: "Counter", tally: "Tally", sink: "DemoSink" },
    connections: [
      "source.output -> counter.input",
      "counter.output -> tally.input",
      "tally.output -> sink.input",
    ],
    strategy: "concurrent",
    max_workers: 2,
  });
  const registry = registryWith(Counter, Tally);

  test("routine state, append buffers and shared data stay with their own job", async () => {
    const small = startJob(flow, { registry, params: { data: "s", count: 5 } });
    const large = startJob(flow, { registry, params: { data: "l", count: 8 } });

    await Promise.all([runToEnd(small), runToEnd(large)]);

    expect(small.routineState("counter")).toEqual({ count: 5 });
    expect(large.routineState("counter")).toEqual({ count: 8 });
    expect(sinkResults(small).map((r) => r.seen)).toEqual([1, 2, 3, 4, 5]);
    expect(sinkResults(large).map((r) => r.seen)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(small.shared).not.toBe(large.shared);
  });

  test("pausing one job leaves the other running to completion", async () => {
    const gate = new Gate();
    /** Holds the paused job's items from index 2 on until the test opens the gate. */
    const Held = defineRoutine({
      name: "Held",
      slots: ["input"],
      events: ["output"],
      handlers: {
        async input(payload, ctx) {
          if (payload.data === "held" && Number(payload.index) >= 2) await gate.opened;
          ctx.emit("output", payload);
        },
      },
    });
    const heldFlow = sketchFlow({
      routines: { source: "DemoSource", held: "Held", sink: "DemoSink" },
      connections: ["source.output -> held.input", "held.output -> sink.input"],
      strategy: "concurrent",
      max_workers: 2,
    });
    const heldRegistry = registryWith(Held);
    const paused = startJob(heldFlow, { registry: heldRegistry, params: { data: "held", count: 20 } });
    const other = startJob(heldFlow, { registry: heldRegistry, params: { data: "free", count: 20 } });
    await waitFor(() => paused.running.length === 2, 2_000, "both workers of the held job to reach the gate");

    paused.pause();
    gate.open();
    const otherRecord = await runToEnd(other);

    expect(otherRecord.status).toBe("completed");
    expect(sinkResults(other)).toHaveLength(20);
    expect(eventsOf(other, "job_paused")).toHaveLength(0);
    expect(paused.status).toBe("paused");

    paused.resume();
    expect((await runToEnd(paused)).status).toBe("completed");
    expect(sinkResults(paused)).toHaveLength(20);
  });

  test("a failing job does not fail its sibling", async () => {
    const Fragile = defineRoutine({
      name: "Fragile",
      slots: ["input"],
      events: ["output"],
      handlers: {
        async input(payload: JsonObject, ctx) {
          await work(1);
          if (payload.data === "bad") throw new Error("bad data");
          ctx.emit("output", payload);
        },
      },
    });
    const fragileFlow = sketchFlow({
      routines: { source: "DemoSource", fragile: "Fragile", sink: "DemoSink" },
      connections: ["source.output -> fragile.input", "fragile.output -> sink.input"],
      strategy: "concurrent",
      max_workers: 2,
    });
    const fragileRegistry = registryWith(Fragile);
    const failing = startJob(fragileFlow, { registry: fragileRegistry, params: { data: "bad", count: 5 } });
    const healthy = startJob(fragileFlow, { registry: fragileRegistry, params: { data: "ok", count: 5 } });

    const [failed, completed] = await Promise.all([runToEnd(failing), runToEnd(healthy)]);

    expect(failed.status).toBe("failed");
    expect(completed.status).toBe("completed");
    expect(sinkResults(healthy)).toHaveLength(5);
    expect(healthy.signal.aborted).toBe(false);
  });
});

describe("busy time", () => {
  /** Holds the thread for `ms` like a CPU-bound handler does: no await, no timer. */
  const Spin = defineRoutine({
    name: "Spin",
    slots: ["input"],
    events: ["output"],
    handlers: {
      input(payload, ctx) {
        const until = performance.now() + 20;
        while (performance.now() < until);
        ctx.emit("output", payload);
      },
    },
  });
  const Wait = defineRoutine({
    name: "Wait",
    slots: ["input"],
    events: ["output"],
    handlers: {
      async input(payload, ctx) {
        await work(80);
        ctx.emit("output", payload);
      },
    },
  });

  test("counts the time the delivery loop holds the thread, not the time the job waits", async () => {
    const flow = sketchFlow({
      routines: { source: "DemoSource", spin: "Spin", wait: "Wait", sink: "DemoSink" },
      connections: ["source.output -> spin.input", "spin.output -> wait.input", "wait.output -> sink.input"],
    });
    const job = startJob(flow, { registry: registryWith(Spin, Wait), params: { data: "x", count: 2 } });
    expect(job.busyMs).toBe(0);
    const started = performance.now();
    await runToEnd(job);
    const wall = performance.now() - started;

    expect(job.busyMs).toBeGreaterThanOrEqual(40);
    // Two 80 ms waits (at least one after the other spun) passed with nothing of this job on the thread.
    expect(wall - job.busyMs).toBeGreaterThanOrEqual(80);
  });
});
