import { describe, expect, test } from "vitest";
import { compileFlow } from "../../src/core/compiled-flow.js";
import { Job } from "../../src/core/job.js";
import { builtinRoutines, defaultRegistry, demoFlows, demoRoutines } from "../../src/routines/index.js";

describe("defaultRegistry", () => {
  test("holds every built-in and every demo routine, by name", () => {
    const names = defaultRegistry()
      .list()
      .map((type) => type.name);
    expect(names).toEqual([...builtinRoutines, ...demoRoutines].map((type) => type.name));
    expect(names).toEqual(
      expect.arrayContaining([
        "Start",
        "Mapper",
        "Filter",
        "ConditionalRouter",
        "Splitter",
        "Aggregator",
        "Batcher",
        "Debouncer",
        "Delay",
        "DataValidator",
        "TextTemplate",
        "Sink",
        "Logger",
        "HttpFetch",
        "DemoSource",
      ]),
    );
  });

  test("every built-in says what it does; only Delay and HttpFetch are side effects", () => {
    for (const type of builtinRoutines) expect(type.description, type.name).toBeTruthy();
    expect(builtinRoutines.filter((type) => type.sideEffects).map((type) => type.name)).toEqual([
      "Delay",
      "HttpFetch",
    ]);
  });

  test("each call gives a fresh registry", () => {
    expect(defaultRegistry()).not.toBe(defaultRegistry());
  });

  test("runs the demo flows", async () => {
    const registry = defaultRegistry();
    const [linear] = demoFlows("2026-01-15T08:30:00.000Z");
    const job = new Job({ job_id: "demo", flow: compileFlow(linear!, registry) });
    job.start("source", { data: "hello", count: 3 });
    expect((await job.done).status).toBe("completed");
    expect(job.shared.results).toEqual([
      { result: "HELLO", index: 0 },
      { result: "HELLO", index: 1 },
      { result: "HELLO", index: 2 },
    ]);
  });
});
