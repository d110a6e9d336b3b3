import { describe, expect, test } from "vitest";
import { defineRoutine } from "../../src/core/routine.js";
import type { JsonObject } from "../../src/core/types.js";
import { listAt, registryWith, runFlow, sinkResults, sketchFlow, slotCalls } from "../support/engine.js";

/** Records every payload its slot receives (after the slot's merge strategy) in the job's shared data. */
const Recorder = defineRoutine({
  name: "Recorder",
  slots: ["input"],
  events: [],
  handlers: {
    input(payload, ctx) {
      listAt<JsonObject>(ctx.shared, "received").push(structuredClone(payload));
    },
  },
});

/** Like Recorder, but its slot accumulates fan-in payloads per key. */
const Bag = defineRoutine({
  name: "Bag",
  slots: { input: { merge: "append" } },
  events: [],
  handlers: {
    input(merged, ctx) {
      // A copy: the merged lists keep growing with later deliveries.
      listAt<JsonObject>(ctx.shared, "received").push(structuredClone(merged));
    },
  },
});

const received = (shared: JsonObject): JsonObject[] => (shared.received as JsonObject[] | undefined) ?? [];

describe("fan-out and fan-in", () => {
  test("one event wired to ten slots delivers every payload to each of them", async () => {
    const targets = Array.from({ length: 10 }, (_, i) => `relay${i}`);
    const flow = sketchFlow({
      routines: {
        source: "DemoSource",
        sink: "DemoSink",
        ...Object.fromEntries(targets.map((t) => [t, "Relay"])),
      },
      connections: targets.flatMap((t) => [`source.output -> ${t}.input`, `${t}.output -> sink.input`]),
      strategy: "concurrent",
      max_workers: 4,
    });

    const { job, record } = await runFlow(flow, { params: { data: "x", count: 7 } });

    expect(record.status).toBe("completed");
    const calls = slotCalls(job);
    for (const t of targets) expect(calls[`${t}.input`]).toBe(7);
    expect(calls["sink.input"]).toBe(70);
    expect(sinkResults(job)).toHaveLength(70);
    // Every index arrives once through every branch.
    for (let index = 0; index < 7; index++) {
      expect(sinkResults(job).filter((r) => r.index === index)).toHaveLength(10);
    }
  });

  test("branching_flow fans validator.valid out to two routines and back into one sink", async () => {
    const { job, record } = await runFlow(
      sketchFlow({
        routines: {
          source: "DemoSource",
          validator: "DemoValidator",
          transformer: "DemoTransformer",
          multiplier: "DemoMultiplier",
          sink: "DemoSink",
        },
        connections: [
          "source.output -> validator.input",
          "validator.valid -> transformer.input",
          "validator.valid -> multiplier.input",
          "transformer.output -> sink.input",
          "multiplier.output -> sink.input",
        ],
        strategy: "concurrent",
        max_workers: 4,
      }),
      { params: { data: "ab", count: 25 } },
    );

    expect(record.status).toBe("completed");
    expect(slotCalls(job)).toEqual({
      "source.trigger": 1,
      "validator.input": 25,
      "transformer.input": 25,
      "multiplier.input": 25,
      "sink.input": 50,
    });
    const results = sinkResults(job);
    expect(results.filter((r) => r.result === "AB")).toHaveLength(25);
    expect(results.filter((r) => r.result === "abab")).toHaveLength(25);
  });
});

describe("param_mapping", () => {
  test("renames a key on the way into the slot; the old name is gone and unmapped keys pass through", async () => {
    const flow = sketchFlow({
      routines: { source: "DemoSource", recorder: "Recorder" },
      connections: [{ wire: "source.output -> recorder.input", param_mapping: { data: "text" } }],
    });

    const { job } = await runFlow(flow, {
      registry: registryWith(Recorder),
      params: { data: "hi", count: 2 },
    });

    expect(received(job.shared)).toEqual([
      { text: "hi", index: 0 },
      { text: "hi", index: 1 },
    ]);
  });

  test("each connection maps on its own: the same event arrives renamed on one wire and untouched on another", async () => {
    const flow = sketchFlow({
      routines: { source: "DemoSource", renamed: "Recorder", plain: "Relay", sink: "DemoSink" },
      connections: [
        { wire: "source.output -> renamed.input", param_mapping: { index: "position" } },
        "source.output -> plain.input",
        "plain.output -> sink.input",
      ],
    });

    const { job } = await runFlow(flow, { registry: registryWith(Recorder), params: { data: "d" } });

    expect(received(job.shared)).toEqual([{ data: "d", position: 0 }]);
    expect(sinkResults(job)).toEqual([{ data: "d", index: 0 }]);
  });
});

describe("merge strategies", () => {
  test("override (the default) hands each delivery its own newest payload", async () => {
    const flow = sketchFlow({
      routines: { source: "DemoSource", recorder: "Recorder" },
      connections: ["source.output -> recorder.input"],
    });

    const { job } = await runFlow(flow, {
      registry: registryWith(Recorder),
      params: { data: "v", count: 3 },
    });

    expect(received(job.shared).map((p) => p.index)).toEqual([0, 1, 2]);
  });

  test("append accumulates each key into a list across every connection that fans in", async () => {
    // Two wires into one append slot: the second must see both payloads, not a buffer of its own.
    const flow = sketchFlow({
      routines: { source: "DemoSource", left: "Relay", right: "Relay", bag: "Bag" },
      connections: [
        "source.output -> left.input",
        "source.output -> right.input",
        "left.output -> bag.input",
        { wire: "right.output -> bag.input", param_mapping: { data: "other" } },
      ],
    });

    const { job } = await runFlow(flow, { registry: registryWith(Bag), params: { data: "p", count: 2 } });

    expect(received(job.shared)).toEqual([
      { data: ["p"], index: [0] },
      { data: ["p"], other: ["p"], index: [0, 0] },
      { data: ["p", "p"], other: ["p"], index: [0, 0, 1] },
      { data: ["p", "p"], other: ["p", "p"], index: [0, 0, 1, 1] },
    ]);
  });

  test("ctx.payload is the delivery's own payload even on an append slot", async () => {
    const Peek = defineRoutine({
      name: "Peek",
      slots: { input: { merge: "append" } },
      events: [],
      handlers: {
        input(_merged, ctx) {
          listAt<JsonObject>(ctx.shared, "own").push(ctx.payload);
        },
      },
    });
    const flow = sketchFlow({
      routines: { source: "DemoSource", peek: "Peek" },
      connections: ["source.output -> peek.input"],
    });

    const { job } = await runFlow(flow, { registry: registryWith(Peek), params: { data: 1, count: 2 } });

    expect(job.shared.own).toEqual([
      { data: 1, index: 0 },
      { data: 1, index: 1 },
    ]);
  });
});

describe("volume", () => {
  test("10 000 items through linear_flow: every delivery runs and the sink gets all of them", async () => {
    const flow = sketchFlow({
      routines: {
        source: "DemoSource",
        validator: "DemoValidator",
        transformer: "DemoTransformer",
        sink: "DemoSink",
      },
      connections: [
        "source.output -> validator.input",
        "validator.valid -> transformer.input",
        "transformer.output -> sink.input",
      ],
    });

    const { job, record } = await runFlow(flow, { params: { data: "go", count: 10_000 } });

    expect(record.status).toBe("completed");
    expect(slotCalls(job)).toEqual({
      "source.trigger": 1,
      "validator.input": 10_000,
      "transformer.input": 10_000,
      "sink.input": 10_000,
    });
    const results = sinkResults(job);
    expect(results).toHaveLength(10_000);
    expect(results[9_999]).toEqual({ result: "GO", index: 9_999 });
  });
});
